// `npm run chaos`: the shipped fault suite. Starts the provider simulator and freeway (or drives any OpenAI-compatible
// gateway at --base-url), runs the named fault scenarios and prints a scorecard; writes it as JSON and Markdown.
// Exit code: 0 when every scenario passes, 1 otherwise, 2 on a usage error.

import { join } from "node:path";
import { parseArgs } from "node:util";
import { CHAOS_SETTINGS, LIVE_PROVIDERS } from "./lib/chaos/freeway.ts";
import { runChaos } from "./lib/chaos/run.ts";
import { SCENARIOS } from "./lib/chaos/scenarios.ts";
import { GRADE_MEANING, resultLine, toText, writeScorecard } from "./lib/chaos/scorecard.ts";
import { ROOT } from "./lib/workerd.ts";

const HELP = `npm run chaos -- [options]

Runs fault scenarios against a gateway whose upstream is the provider simulator and grades each one:
${GRADE_MEANING}.

Without --base-url it builds freeway and runs it on workerd with ${LIVE_PROVIDERS.join(", ")} live and
${Object.entries(CHAOS_SETTINGS)
  .filter(([k]) => k.endsWith("_MS") || k === "DAILY_PACING")
  .map(([k, v]) => `${k}=${v}`)
  .join(" ")}.

Options:
  --base-url URL   drive the gateway at URL instead (its OpenAI base URL, e.g. http://127.0.0.1:4000/v1)
  --model NAME     the model every request asks for (default: auto)
  --api-key KEY    sent as Authorization: Bearer KEY (default: chaos)
  --sim-port N     start the simulator on port N (default: any free port), so another gateway can be
                   configured beforehand with upstreams http://127.0.0.1:N/<provider>/… (see README)
  --only a,b       run only these scenarios
  --out DIR        write latest.json and latest.md there (default: chaos/results)
  -h, --help       this text

Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(26)} ${s.fault}`).join("\n")}
`;

function usage(message: string): never {
  console.error(`chaos: ${message}\n\n${HELP}`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      "base-url": { type: "string" },
      model: { type: "string" },
      "api-key": { type: "string" },
      "sim-port": { type: "string" },
      only: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  }).values;
}
try {
  args = parse();
} catch (e) {
  usage(e instanceof Error ? e.message : String(e));
}
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const only = args.only?.split(",").map((s) => s.trim()).filter((s) => s !== "");
const unknown = (only ?? []).filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length > 0) usage(`no such scenario: ${unknown.join(", ")}`);
const simPort = args["sim-port"] === undefined ? undefined : Number(args["sim-port"]);
if (simPort !== undefined && (!Number.isInteger(simPort) || simPort < 0 || simPort > 65535)) usage(`--sim-port must be a port number, not ${args["sim-port"]}`);
if (args["base-url"] !== undefined && !URL.canParse(args["base-url"])) usage(`--base-url must be a URL, not ${args["base-url"]}`);

// Ctrl-C: exit through process.exit, so the suite's exit hook stops the workerd it started.
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => process.exit(130));

const command = ["npm run chaos", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");
let card: Awaited<ReturnType<typeof runChaos>>;
try {
  card = await runChaos({
    baseURL: args["base-url"],
    model: args.model,
    apiKey: args["api-key"],
    simPort,
    only,
    onNote: (line) => console.log(`· ${line}`),
    onResult: (r) => console.log(resultLine(r)),
  });
} catch (e) {
  console.error(`chaos: the suite could not run: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
console.log(`\n${toText(card)}`);
const files = writeScorecard(card, args.out ?? join(ROOT, "chaos", "results"), command);
console.log(`\nscorecard written to ${files.join(" and ")}`);
process.exit(card.totals.pass === card.results.length ? 0 : 1);
