// `provider enable|disable <id>`: every model of a provider at once (persisted in each model's actor).

import type { Command } from "../command.ts";

function toggle(enabled: boolean): Command {
  const verb = enabled ? "enable" : "disable";
  return {
    name: `provider ${verb}`,
    args: "<id>",
    arity: [1, 1],
    summary: enabled ? "let the router use a provider's models again" : "stop routing to any model of a provider",
    examples: [`freeway-admin provider ${verb} groq`],
    async run(ctx, { positionals: [id = ""] }) {
      const result = await ctx.call(`${enabled ? "Enabling" : "Disabling"} ${id}`, () => (enabled ? ctx.admin.providers.enable : ctx.admin.providers.disable).mutate({ id }));
      ctx.emit(result, (r) => `${r.id}: ${r.models} models ${enabled ? ctx.c.green("enabled") : ctx.c.red("disabled")}`);
    },
  };
}

export const providerEnable = toggle(true);
export const providerDisable = toggle(false);
