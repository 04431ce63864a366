// `keys create|list|revoke|quota`: gateway keys. A new key is printed once — freeway keeps only its hash.

import type { KeyQuota, KeyRecord } from "../../../shared/access.ts";
import { intFlags, list, str, type FlagSpecs, type FlagValues } from "../args.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { compact, count, stamp } from "../format.ts";
import { renderTable } from "../table.ts";

const QUOTA_NAMES = ["rpm", "rpd", "tpd"] as const;

const QUOTA_FLAGS: FlagSpecs = {
  rpm: { type: "string", value: "N", help: "requests per minute (also the burst)" },
  rpd: { type: "string", value: "N", help: "requests per UTC day" },
  tpd: { type: "string", value: "N", help: "tokens per UTC day" },
  models: { type: "string", value: "a,b", help: "models this key may use: ids, provider/*, family aliases, presets" },
  priority: { type: "string", value: "normal|high", help: "high: may use the slice of each scarce daily allowance kept back (PRIORITY_RESERVE_PERCENT)" },
};

function priorityFlag(flags: FlagValues): { priority?: "normal" | "high" } {
  const p = str(flags, "priority");
  if (p === undefined) return {};
  if (p !== "normal" && p !== "high") throw new UsageError(`--priority must be normal or high, not "${p}"`);
  return { priority: p };
}

function quotaText(q: KeyQuota): string {
  return QUOTA_NAMES.filter((k) => q[k] !== undefined).map((k) => `${k} ${compact(q[k] as number)}`).join(" · ") || "unlimited";
}

/** --models as a list; an empty one would make a key that may use nothing. */
function modelList(value: string): string[] {
  const out = list(value);
  if (out.length === 0) throw new UsageError("--models names no model; give at least one model, preset or pattern (or --all-models)");
  return out;
}

function describe(r: KeyRecord): string {
  return `${r.id} "${r.label}" (${quotaText(r.quota)}; models: ${r.models?.join(", ") ?? "all"}; priority ${r.priority ?? "normal"})`;
}

export const keysCreate: Command = {
  name: "keys create",
  summary: "create a gateway key; it is printed once and never again",
  details: "With --json the key is the `key` field of the result. Store it now: freeway keeps only its hash.",
  flags: { label: { type: "string", value: "LABEL", help: "a name for the key (required)" }, ...QUOTA_FLAGS },
  examples: [
    "freeway-admin keys create --label team-a --rpm 30 --rpd 2000 --models 'groq/*,gpt-oss-120b'",
    "freeway-admin keys create --label on-call --priority high",
  ],
  async run(ctx, { flags }) {
    const label = str(flags, "label");
    if (!label) throw new UsageError("--label is required");
    const quota = intFlags(flags, QUOTA_NAMES);
    const models = str(flags, "models");
    const priority = priorityFlag(flags);
    const created = await ctx.call("Creating the key", () =>
      ctx.admin.keys.create.mutate({ label, quota, ...(models !== undefined ? { models: modelList(models) } : {}), ...priority }),
    );
    ctx.emit(created, ({ key, record }) =>
      [
        `Created gateway key ${describe(record)}`,
        "",
        `    ${ctx.c.bold(key)}`,
        "",
        ctx.c.yellow("Copy it now: it is shown only this once (freeway stores only its hash)."),
      ].join("\n"),
    );
  },
};

export const keysList: Command = {
  name: "keys list",
  summary: "gateway keys: label, last 4 characters, quota, allowed models, priority, revoked or not",
  async run(ctx) {
    const keys = await ctx.call("Reading keys", () => ctx.admin.keys.list.query());
    ctx.emit(keys, (ks) => {
      if (ks.length === 0) return "No gateway keys yet: create one with `freeway-admin keys create --label NAME`.";
      const rows = ks.map((k) => [
        k.id,
        k.label,
        `…${k.hint}`,
        stamp(k.createdAt),
        k.revokedAt === null ? ctx.c.green("active") : ctx.c.red(`revoked ${stamp(k.revokedAt)}`),
        quotaText(k.quota),
        k.models?.join(", ") ?? "all",
        k.priority === "high" ? ctx.c.bold("high") : "normal",
      ]);
      const revoked = ks.filter((k) => k.revokedAt !== null).length;
      const table = renderTable(
        [{ header: "ID" }, { header: "LABEL" }, { header: "KEY" }, { header: "CREATED" }, { header: "STATE" }, { header: "QUOTA" }, { header: "MODELS" }, { header: "PRIORITY" }],
        rows,
        { color: ctx.color },
      );
      return `${table}\n\n${count(ks.length, "key")}${revoked ? `, ${revoked} revoked` : ""}`;
    });
  },
};

export const keysRevoke: Command = {
  name: "keys revoke",
  args: "<id>",
  arity: [1, 1],
  summary: "revoke a gateway key: refused from its very next request",
  examples: ["freeway-admin keys revoke key_3fQ9…"],
  async run(ctx, { positionals: [id = ""] }) {
    const record = await ctx.call(`Revoking ${id}`, () => ctx.admin.keys.revoke.mutate({ id }));
    ctx.emit(record, (r) => `Revoked ${r.id} "${r.label}": it is refused from its next request.`);
  },
};

export const keysQuota: Command = {
  name: "keys quota",
  args: "<id>",
  arity: [1, 1],
  summary: "change a key's quota, allowed models, priority or label",
  details: "Quotas not named are kept unless --clear is given (then only those named apply).",
  flags: {
    ...QUOTA_FLAGS,
    "all-models": { type: "boolean", help: "allow every model again" },
    label: { type: "string", value: "LABEL", help: "rename the key" },
    clear: { type: "boolean", help: "drop the quotas not named (no flags: unlimited)" },
  },
  examples: ["freeway-admin keys quota key_3fQ9… --rpm 60", "freeway-admin keys quota key_3fQ9… --priority high", "freeway-admin keys quota key_3fQ9… --clear"],
  async run(ctx, { flags, positionals: [id = ""] }) {
    const given = intFlags(flags, QUOTA_NAMES);
    const models = str(flags, "models");
    const label = str(flags, "label");
    if (models !== undefined && flags["all-models"] === true) throw new UsageError("--models and --all-models cannot go together");
    const priority = priorityFlag(flags);
    const clear = flags["clear"] === true;
    const nothing = Object.keys(given).length === 0 && models === undefined && flags["all-models"] !== true && label === undefined;
    if (!clear && nothing && priority.priority === undefined) {
      throw new UsageError("nothing to change: give --rpm, --rpd, --tpd, --models, --all-models, --priority, --label or --clear");
    }
    const after = await ctx.call(`Updating ${id}`, async () => {
      // The API replaces the whole quota; keep what was not named (an unknown id is the server's NOT_FOUND).
      const current = clear ? undefined : (await ctx.admin.keys.list.query()).find((k) => k.id === id);
      return ctx.admin.keys.setQuota.mutate({
        id,
        quota: { ...(current?.quota ?? {}), ...given },
        ...(models !== undefined ? { models: modelList(models) } : flags["all-models"] === true ? { models: null } : {}),
        ...(label !== undefined ? { label } : {}),
        ...priority,
      });
    });
    ctx.emit(after, (r) => `Updated ${describe(r)}`);
  },
};
