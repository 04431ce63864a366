// One model up close, and what an operator can do to it: limit overrides, enable / disable, cooldown reset. Each
// change is confirmed first and shown at once from what the server answered.

import { useContext, useEffect, useState } from "preact/hooks";
import { type AdminClient, asGatewayError } from "../api.ts";
import type { Question } from "../components/confirm.tsx";
import { Countdown } from "../components/countdown.tsx";
import { Dialog } from "../components/dialog.tsx";
import { StateBadge } from "../components/state.tsx";
import { limitsLine, ms, percent, plural } from "../format.ts";
import { NoticeContext } from "../notice.ts";
import type { ActorStatus, Limits, ModelState, ModelView } from "../types.ts";

const FIELDS = [
  { key: "rpm", label: "Requests per minute" },
  { key: "rpd", label: "Requests per day" },
  { key: "tpm", label: "Tokens per minute" },
  { key: "tpd", label: "Tokens per day" },
  { key: "concurrency", label: "Requests at once" },
] as const;

type Dim = (typeof FIELDS)[number]["key"];
type Form = Record<Dim, string>;

function formOf(l: Limits): Form {
  const f = { rpm: "", rpd: "", tpm: "", tpd: "", concurrency: "" };
  for (const { key } of FIELDS) if (l[key] !== undefined) f[key] = String(l[key]);
  return f;
}

/** The overrides a form asks for (blank = none), or a message saying which field is wrong. */
export function limitsOf(f: Form): Limits | string {
  const out: Limits = {};
  for (const { key, label } of FIELDS) {
    const raw = f[key].trim();
    if (raw === "") continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) return `${label} must be a whole number above 0, or blank.`;
    out[key] = n;
  }
  return out;
}

function stateOf(s: ActorStatus | null): ModelState {
  if (!s) return "ready";
  if (s.snapshot.disabled) return "disabled";
  if (s.snapshot.cooldownUntil > Date.now()) return "cooling_down";
  return s.snapshot.halfOpen ? "probing" : "ready";
}

interface Props {
  admin: AdminClient;
  id: string;
  onClose: () => void;
  onChanged: () => void;
  ask: (q: Question) => Promise<boolean>;
}

export function ModelDialog({ admin, id, onClose, onChanged, ask }: Props) {
  const notify = useContext(NoticeContext);
  const [model, setModel] = useState<ModelView | null>(null);
  const [form, setForm] = useState<Form>(formOf({}));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const ctl = new AbortController();
    admin.models.get
      .query({ id }, { signal: ctl.signal })
      .then((m) => {
        setModel(m);
        setForm(formOf(m.status?.overrides ?? {}));
      })
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(asGatewayError(e).message);
      });
    return () => ctl.abort();
  }, [admin, id]);

  const status = model?.status ?? null;
  const state = stateOf(status);

  /** Confirm, apply, show the server's answer in place, and refresh the table behind. */
  const act = async (q: Question, run: () => Promise<ActorStatus>, done: (s: ActorStatus) => string): Promise<void> => {
    if (!(await ask(q))) return;
    setBusy(true);
    setError(null);
    try {
      const s = await run();
      setModel((m) => (m ? { ...m, status: s } : m));
      setForm(formOf(s.overrides));
      notify(done(s));
      onChanged();
    } catch (e) {
      setError(asGatewayError(e).message);
    } finally {
      setBusy(false);
    }
  };

  const saveLimits = (e: Event): void => {
    e.preventDefault();
    const limits = limitsOf(form);
    if (typeof limits === "string") {
      setError(limits);
      return;
    }
    const before = status?.overrides ?? {};
    void act(
      {
        title: `Set limits for ${id}?`,
        body: (
          <>
            <p>
              Overrides now: <strong>{limitsLine(before)}</strong>
            </p>
            <p>
              New overrides: <strong>{limitsLine(limits)}</strong>
            </p>
            <p class="muted">They apply from the very next request and replace the catalog's and learned limits where set.</p>
          </>
        ),
        confirm: "Set limits",
      },
      () => admin.models.setLimits.mutate({ id, limits: Object.keys(limits).length ? limits : null }),
      (s) => `Limits of ${id} are now ${limitsLine(s.limits)}.`,
    );
  };

  const clearLimits = (): void =>
    void act(
      { title: `Clear the overrides of ${id}?`, body: <p>The catalog's (and learned) limits apply again from the next request.</p>, confirm: "Clear overrides" },
      () => admin.models.setLimits.mutate({ id, limits: null }),
      (s) => `Overrides of ${id} cleared; limits are ${limitsLine(s.limits)}.`,
    );

  const toggle = (): void => {
    const enable = state === "disabled";
    void act(
      {
        title: `${enable ? "Enable" : "Disable"} ${id}?`,
        body: <p>{enable ? "It can be chosen again from the next request." : "It will not be chosen for any request until you enable it again."}</p>,
        confirm: enable ? "Enable model" : "Disable model",
        danger: !enable,
      },
      () => (enable ? admin.models.enable : admin.models.disable).mutate({ id }),
      (s) => `${id} is ${s.snapshot.disabled ? "disabled" : "enabled"}.`,
    );
  };

  const reset = (): void =>
    void act(
      { title: `Reset the cooldown of ${id}?`, body: <p>It can take requests at once, before the provider's own wait is over.</p>, confirm: "Reset cooldown" },
      () => admin.models.resetCooldown.mutate({ id }),
      () => `The cooldown of ${id} was reset.`,
    );

  return (
    <Dialog open title={id} onClose={onClose} wide>
      {!model ? (
        <p class={error ? "error" : "loading"}>{error ?? "Loading…"}</p>
      ) : (
        <div class="dialog-body">
          <dl class="facts">
            <div>
              <dt>State</dt>
              <dd>
                <StateBadge state={state} />
                {status && state === "cooling_down" ? (
                  <>
                    {" "}
                    <Countdown until={status.snapshot.cooldownUntil} /> <span class="muted">{status.snapshot.cooldownReason ?? ""}</span>
                  </>
                ) : null}
              </dd>
            </div>
            <div>
              <dt>Limits in force</dt>
              <dd>{limitsLine(status?.limits ?? model.catalogLimits)}</dd>
            </div>
            <div>
              <dt>Catalog limits</dt>
              <dd>{limitsLine(model.catalogLimits)}</dd>
            </div>
            <div>
              <dt>Remaining</dt>
              <dd>{status ? limitsLine(status.remaining) : "all (not asked yet)"}</dd>
            </div>
            <div>
              <dt>Health (EWMA)</dt>
              <dd>{status ? `${percent(status.snapshot.success)} success · ${ms(status.snapshot.latencyMs)} · first token ${ms(status.snapshot.ttftMs)}` : "no data yet"}</dd>
            </div>
            {status?.lastError ? (
              <div>
                <dt>Last error</dt>
                <dd>{status.lastError}</dd>
              </div>
            ) : null}
          </dl>
          <form class="limits" onSubmit={saveLimits} aria-labelledby="limits-h">
            <h3 id="limits-h">Limit overrides</h3>
            <p class="muted">
              Blank fields keep the catalog's limit.
              {status?.limits.rpd !== undefined && status.remaining.rpd !== undefined ? ` Used today: ${plural(status.limits.rpd - status.remaining.rpd, "request")}.` : ""}
            </p>
            <div class="limit-fields">
              {FIELDS.map((f) => (
                <label key={f.key}>
                  {f.label}
                  <input
                    type="number"
                    inputMode="numeric"
                    min={1}
                    step={1}
                    name={f.key}
                    value={form[f.key]}
                    placeholder={model.catalogLimits[f.key] !== undefined ? String(model.catalogLimits[f.key]) : "none"}
                    onInput={(e) => setForm({ ...form, [f.key]: e.currentTarget.value })}
                  />
                </label>
              ))}
            </div>
            {error ? (
              <p class="error" role="alert">
                {error}
              </p>
            ) : null}
            <div class="dialog-actions">
              <button type="button" onClick={clearLimits} disabled={busy || Object.keys(status?.overrides ?? {}).length === 0}>
                Clear overrides
              </button>
              <button type="submit" class="primary" disabled={busy}>
                Save limits
              </button>
            </div>
          </form>
          <div class="dialog-actions split">
            <button type="button" onClick={reset} disabled={busy || state !== "cooling_down"}>
              Reset cooldown
            </button>
            <button type="button" class={state === "disabled" ? "primary" : "danger"} onClick={toggle} disabled={busy}>
              {state === "disabled" ? "Enable model" : "Disable model"}
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
