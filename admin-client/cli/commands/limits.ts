// `limits set <model> --rpm N …` and `limits clear <model>`: operator overrides, kept by the model's actor and
// applied from its very next request (they survive restarts).

import { intFlags, type FlagSpecs } from "../args.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { limitsText } from "../format.ts";
import { isPool } from "./models.ts";

const NAMES = ["rpm", "rpd", "tpm", "tpd", "concurrency"] as const;

const FLAGS: FlagSpecs = {
  rpm: { type: "string", value: "N", help: "requests per minute" },
  rpd: { type: "string", value: "N", help: "requests per day (until the provider's daily reset)" },
  tpm: { type: "string", value: "N", help: "tokens per minute" },
  tpd: { type: "string", value: "N", help: "tokens per day" },
  concurrency: { type: "string", value: "N", help: "requests in flight at once" },
  replace: { type: "boolean", help: "drop the model's other overrides instead of keeping them" },
};

export const limitsSet: Command = {
  name: "limits set",
  args: "<model|pool>",
  arity: [1, 1],
  summary: "override a model's or a shared pool's limits (from its next request; persisted)",
  details:
    "Overrides replace the catalog's (and learned) numbers for the limits given; the model's other overrides are kept\n" +
    "unless --replace is given. `limits clear` goes back to the catalog.",
  flags: FLAGS,
  examples: ["freeway-admin limits set groq/llama-3.3-70b-versatile --rpm 30 --rpd 1000", "freeway-admin limits set openrouter:free --rpd 1000"],
  async run(ctx, { flags, positionals: [id = ""] }) {
    const given = intFlags(flags, NAMES);
    if (Object.keys(given).length === 0) throw new UsageError("give at least one of --rpm, --rpd, --tpm, --tpd, --concurrency (or use `limits clear`)");
    const after = await ctx.call(`Setting limits of ${id}`, async () => {
      // Keep the overrides already set: the API replaces the whole set.
      const api = isPool(id) ? ctx.admin.pools : ctx.admin.models;
      const kept = flags["replace"] === true ? {} : ((await api.get.query({ id })).status?.overrides ?? {});
      return api.setLimits.mutate({ id, limits: { ...kept, ...given } });
    });
    ctx.emit(after, (s) => `${id}: ${limitsText(s.limits, s.overrides)}  ${ctx.c.dim("(* = override; applies from its next request)")}`);
  },
};

export const limitsClear: Command = {
  name: "limits clear",
  args: "<model|pool>",
  arity: [1, 1],
  summary: "drop a model's or a pool's limit overrides: back to the catalog's numbers",
  examples: ["freeway-admin limits clear groq/llama-3.3-70b-versatile"],
  async run(ctx, { positionals: [id = ""] }) {
    const after = await ctx.call(`Clearing limits of ${id}`, () => (isPool(id) ? ctx.admin.pools : ctx.admin.models).setLimits.mutate({ id, limits: null }));
    ctx.emit(after, (s) => `${id}: ${limitsText(s.limits, s.overrides)}`);
  },
};
