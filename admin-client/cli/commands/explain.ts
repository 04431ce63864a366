// `explain <request.json|->`: for a chat request body, the candidates, their standing, and which would win —
// without reserving anything or calling a provider.

import type { Command, Ctx } from "../command.ts";
import { UsageError } from "../errors.ts";
import { stateText } from "../format.ts";
import { renderTable } from "../table.ts";

const SHOWN_EXCLUDED = 10;

/** A chat body as the API takes it (JSON values only; JSON.parse gives nothing else). */
type ExplainBody = Parameters<Ctx["admin"]["routing"]["explain"]["query"]>[0]["body"];

export const explain: Command = {
  name: "explain",
  args: "<request.json|->",
  arity: [1, 1],
  summary: "which models a chat request could go to, how they rank, and which would win (nothing is sent)",
  details: "The file holds a /v1/chat/completions body; '-' reads it from stdin.",
  examples: [`echo '{"model":"auto","messages":[{"role":"user","content":"hi"}]}' | freeway-admin explain -`],
  async run(ctx, { positionals: [path = ""] }) {
    let text: string;
    try {
      text = await ctx.readInput(path);
    } catch (e) {
      throw new UsageError(`cannot read ${path === "-" ? "stdin" : `'${path}'`}: ${e instanceof Error ? e.message : String(e)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${path === "-" ? "stdin" : `'${path}'`} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new UsageError("the request must be a JSON object (a chat completions body)");
    const result = await ctx.call("Ranking candidates", () => ctx.admin.routing.explain.query({ body: body as ExplainBody }));
    ctx.emit(result, (r) => {
      const out = [`preset ${r.preset}; winner: ${r.winner ? ctx.c.green(r.winner) : ctx.c.red("none can serve now")}`, ""];
      if (r.candidates.length === 0) out.push("No candidate.");
      else {
        const rows = r.candidates.map((x) => {
          const state = x.state.startsWith("cooling") ? ctx.c.yellow(x.state) : x.state === "disabled" ? stateText("disabled", ctx.c) : x.state;
          return [x.model === r.winner ? ctx.c.bold(x.model) : x.model, x.score < 0 ? ctx.c.dim("can't") : x.score.toFixed(3), state, x.reason ?? ""];
        });
        out.push(renderTable([{ header: "CANDIDATE" }, { header: "SCORE", align: "right" }, { header: "STATE" }, { header: "WHY" }], rows, { color: ctx.color }));
      }
      if (r.excluded.length > 0) {
        out.push("", `Ruled out by what the request needs (${r.excluded.length}):`);
        for (const x of r.excluded.slice(0, SHOWN_EXCLUDED)) out.push(`  ${x.model}: ${x.reason}`);
        if (r.excluded.length > SHOWN_EXCLUDED) out.push(ctx.c.dim(`  … ${r.excluded.length - SHOWN_EXCLUDED} more (--json lists them all)`));
      }
      return out.join("\n");
    });
  },
};
