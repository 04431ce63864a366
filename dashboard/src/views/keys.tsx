// Gateway keys: create (the key is shown once), quotas, revoke.

import { useCallback, useContext, useState } from "preact/hooks";
import { type AdminClient, asGatewayError } from "../api.ts";
import { useConfirm } from "../components/confirm.tsx";
import { Dialog } from "../components/dialog.tsx";
import { type Column, Table } from "../components/table.tsx";
import { count, when } from "../format.ts";
import { NoticeContext } from "../notice.ts";
import { usePoll } from "../poll.ts";
import type { KeyRecord } from "../types.ts";

type Quota = { rpm?: number; rpd?: number; tpd?: number };
const QUOTA_FIELDS = [
  { key: "rpm", label: "Requests per minute" },
  { key: "rpd", label: "Requests per day" },
  { key: "tpd", label: "Tokens per day" },
] as const;

function quotaLine(q: Quota): string {
  const parts = QUOTA_FIELDS.filter((f) => q[f.key] !== undefined).map((f) => `${f.key} ${count(q[f.key])}`);
  return parts.length ? parts.join(" · ") : "unlimited";
}

/** Quota fields from a form (blank = unlimited), or the message for the first bad one. */
function quotaOf(data: FormData): Quota | string {
  const q: Quota = {};
  for (const f of QUOTA_FIELDS) {
    const raw = String(data.get(f.key) ?? "").trim();
    if (raw === "") continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) return `${f.label} must be a whole number above 0, or blank.`;
    q[f.key] = n;
  }
  return q;
}

function QuotaInputs({ quota }: { quota?: Quota }) {
  return (
    <div class="limit-fields">
      {QUOTA_FIELDS.map((f) => (
        <label key={f.key}>
          {f.label}
          <input type="number" inputMode="numeric" min={1} step={1} name={f.key} defaultValue={quota?.[f.key] !== undefined ? String(quota[f.key]) : ""} placeholder="unlimited" />
        </label>
      ))}
    </div>
  );
}

export function KeysView({ admin }: { admin: AdminClient }) {
  const notify = useContext(NoticeContext);
  const [confirmEl, ask] = useConfirm();
  const [created, setCreated] = useState<{ key: string; label: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<KeyRecord | null>(null);
  const { data, refresh } = usePoll((signal) => admin.keys.list.query(undefined, { signal }), [admin]);

  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const fd = new FormData(form);
    const label = String(fd.get("label") ?? "").trim();
    const quota = quotaOf(fd);
    if (typeof quota === "string") return setError(quota);
    const models = String(fd.get("models") ?? "")
      .split(",")
      .map((m) => m.trim())
      .filter(Boolean);
    setError(null);
    try {
      const r = await admin.keys.create.mutate({ label, quota, models: models.length ? models : null });
      setCreated({ key: r.key, label });
      form.reset();
      notify(`Key "${label}" created.`);
      refresh();
    } catch (err) {
      setError(asGatewayError(err).message);
    }
  };

  const revoke = async (k: KeyRecord): Promise<void> => {
    const ok = await ask({
      title: `Revoke "${k.label}"?`,
      body: <p>Requests with this key are refused from the very next one. This cannot be undone.</p>,
      confirm: "Revoke key",
      danger: true,
    });
    if (!ok) return;
    try {
      await admin.keys.revoke.mutate({ id: k.id });
      notify(`Key "${k.label}" revoked.`);
    } catch (err) {
      notify(`Could not revoke "${k.label}": ${asGatewayError(err).message}`);
    }
    refresh();
  };

  const saveQuota = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!editing) return;
    const quota = quotaOf(new FormData(e.currentTarget as HTMLFormElement));
    if (typeof quota === "string") return setError(quota);
    const k = editing;
    const ok = await ask({ title: `Set the quota of "${k.label}"?`, body: <p>{`${quotaLine(k.quota)} → ${quotaLine(quota)}, from the next request.`}</p>, confirm: "Set quota" });
    if (!ok) return;
    try {
      await admin.keys.setQuota.mutate({ id: k.id, quota });
      setEditing(null);
      notify(`Quota of "${k.label}" is now ${quotaLine(quota)}.`);
    } catch (err) {
      setError(asGatewayError(err).message);
    }
    refresh();
  };

  const closeEdit = useCallback(() => setEditing(null), []);
  const cols: Column<KeyRecord>[] = [
    { id: "label", label: "Label", rowHeader: true, sort: (k) => k.label, cell: (k) => k.label },
    { id: "id", label: "Id", cell: (k) => <span class="mono">{k.id}</span> },
    { id: "hint", label: "Ends in", cell: (k) => <span class="mono">…{k.hint}</span> },
    { id: "created", label: "Created", sort: (k) => k.createdAt, cell: (k) => when(k.createdAt) },
    { id: "state", label: "State", sort: (k) => k.revokedAt ?? 0, cell: (k) => (k.revokedAt ? <span class="bad-text">revoked {when(k.revokedAt)}</span> : "active") },
    { id: "quota", label: "Quota", cell: (k) => quotaLine(k.quota) },
    { id: "models", label: "Models", cell: (k) => (k.models ? k.models.join(", ") : <span class="muted">all</span>) },
    {
      id: "actions",
      label: "Actions",
      cell: (k) =>
        k.revokedAt ? null : (
          <span class="actions">
            <button type="button" onClick={() => setEditing(k)} aria-label={`Edit quota of ${k.label}`}>
              Quota
            </button>
            <button type="button" class="danger" onClick={() => void revoke(k)} aria-label={`Revoke ${k.label}`}>
              Revoke
            </button>
          </span>
        ),
    },
  ];

  return (
    <section aria-labelledby="view-h">
      <h2 id="view-h">Keys</h2>
      <form class="card" onSubmit={(e) => void create(e)} aria-labelledby="newkey-h">
        <h3 id="newkey-h">New gateway key</h3>
        <div class="limit-fields">
          <label>
            Label
            <input name="label" required maxLength={100} />
          </label>
          <label>
            Models (comma-separated, blank = all)
            <input name="models" placeholder="groq/*, gpt-oss-120b" />
          </label>
        </div>
        <QuotaInputs />
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary">
          Create key
        </button>
      </form>
      {created ? (
        <div class="card created" role="status">
          <p>
            The key for <strong>{created.label}</strong> — copy it now, it is not shown again:
          </p>
          <p>
            <output class="mono secret" aria-label="New key">
              {created.key}
            </output>{" "}
            <button type="button" onClick={() => void navigator.clipboard?.writeText(created.key)}>
              Copy
            </button>{" "}
            <button type="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </p>
        </div>
      ) : null}
      {!data ? <p class="loading">Loading…</p> : <Table caption="Gateway keys" columns={cols} rows={data} rowKey={(k) => k.id} initialSort={{ column: "created", dir: "descending" }} empty="No keys yet." />}
      <Dialog open={editing !== null} title={editing ? `Quota of "${editing.label}"` : ""} onClose={closeEdit}>
        {editing ? (
          <form class="dialog-body" onSubmit={(e) => void saveQuota(e)}>
            <QuotaInputs quota={editing.quota} />
            <div class="dialog-actions">
              <button type="button" onClick={closeEdit}>
                Cancel
              </button>
              <button type="submit" class="primary">
                Save quota
              </button>
            </div>
          </form>
        ) : null}
      </Dialog>
      {confirmEl}
    </section>
  );
}
