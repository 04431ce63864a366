// `models` (the catalog with live state and effective limits) and `model enable|disable <model>`.

import type { Command } from "../command.ts";
import { relative } from "../duration.ts";
import { count, limitsText, remainingText, stamp, stateOf, stateText } from "../format.ts";
import { renderTable } from "../table.ts";

export const models: Command = {
  name: "models",
  summary: "models with their live state and effective limits (* = operator override)",
  details: "Only models of configured providers are listed unless --all is given.",
  flags: { all: { type: "boolean", help: "include models of providers that are not configured" } },
  async run(ctx, { flags }) {
    const list = await ctx.call("Reading models", () => ctx.admin.models.list.query(flags["all"] === true ? { all: true } : undefined));
    ctx.emit(list, (ms) => {
      if (ms.length === 0) return "No models: no provider is configured.";
      const now = ctx.now();
      const rows = ms.map((m) => {
        const s = m.status;
        const state = !m.configured ? "not_configured" : s ? stateOf(s.snapshot, now) : "ready";
        const cooling = s && s.snapshot.cooldownUntil > now ? ` ${ctx.c.dim(relative(s.snapshot.cooldownUntil, now))}` : "";
        return [m.id, m.kind, m.family ?? "", `${stateText(state, ctx.c)}${cooling}`, limitsText(s?.limits ?? m.catalogLimits, s?.overrides ?? {})];
      });
      const overridden = ms.filter((m) => Object.keys(m.status?.overrides ?? {}).length > 0).length;
      const table = renderTable([{ header: "MODEL" }, { header: "KIND" }, { header: "FAMILY" }, { header: "STATE" }, { header: "LIMITS" }], rows, { color: ctx.color });
      return `${table}\n\n${count(ms.length, "model")}${overridden ? `, ${overridden} with operator limits (*)` : ""}`;
    });
  },
};

function toggle(enabled: boolean): Command {
  const verb = enabled ? "enable" : "disable";
  return {
    name: `model ${verb}`,
    args: "<model>",
    arity: [1, 1],
    summary: enabled ? "let the router use a model again" : "stop routing to a model (persisted; takes effect on its next request)",
    examples: [`freeway-admin model ${verb} groq/llama-3.3-70b-versatile`],
    async run(ctx, { positionals: [id = ""] }) {
      const after = await ctx.call(`${enabled ? "Enabling" : "Disabling"} ${id}`, () => (enabled ? ctx.admin.models.enable : ctx.admin.models.disable).mutate({ id }));
      ctx.emit(after, (s) => `${id}: ${stateText(stateOf(s.snapshot, ctx.now()), ctx.c)}`);
    },
  };
}

export const modelEnable = toggle(true);
export const modelDisable = toggle(false);

/** A shared pool's id ("openrouter:free") rather than a model's ("provider/model"). */
export function isPool(id: string): boolean {
  return !id.includes("/");
}

export const cooldownReset: Command = {
  name: "cooldown reset",
  args: "<model|pool>",
  arity: [1, 1],
  summary: "end a cooldown now (and the failure streak): a model's, with its shared pool's, or a pool's",
  examples: ["freeway-admin cooldown reset cerebras/gpt-oss-120b", "freeway-admin cooldown reset openrouter:free"],
  async run(ctx, { positionals: [id = ""] }) {
    const reset = isPool(id) ? ctx.admin.pools.resetCooldown : ctx.admin.models.resetCooldown;
    const after = await ctx.call(`Resetting ${id}`, () => reset.mutate({ id }));
    ctx.emit(after, (s) => {
      const line = `${id}: cooldown cleared; ${stateText(stateOf(s.snapshot, ctx.now()), ctx.c)}`;
      // No cooldown, but the provider's word that the day is spent still holds until the reset (or a new limit).
      if (s.snapshot.dailyLeft > 0) return line;
      return `${line}\n${ctx.c.yellow(`its daily allowance is used up (${remainingText(s.remaining, s.limits)} left) until ${stamp(s.dayResetAt)}; raise it with \`limits set ${id} --rpd N\` if the provider allows more now`)}`;
    });
  },
};
