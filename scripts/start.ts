// `npm start`: the gateway under `wrangler dev`. With no provider key anywhere it runs the demo: the bundled
// provider simulator plays all eight providers on 127.0.0.1, so routing and failover work with no account.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROVIDERS } from "../shared/catalog/providers.ts";
import { startSimulatorServer } from "../test/simulator/server.ts";
import { simulatorEnv } from "../test/simulator/env.ts";
import { ROOT, wranglerBin } from "./lib/workerd.ts";

const port = Number(process.env.PORT ?? 8787);
const simPort = Number(process.env.SIM_PORT ?? 8790);

/** Names set in .dev.vars (wrangler's local secrets file) — values are never printed. */
function devVarNames(): Set<string> {
  const file = join(ROOT, ".dev.vars");
  if (!existsSync(file)) return new Set();
  const names = readFileSync(file, "utf8")
    .split("\n")
    .map((l) => /^\s*([A-Z0-9_]+)\s*=\s*\S/.exec(l)?.[1])
    .filter((n): n is string => !!n);
  return new Set(names);
}

const keyNames = [...PROVIDERS.map((p) => p.keyEnv), "CUSTOM_PROVIDERS"];
const present = devVarNames();
const hasKey = keyNames.some((n) => present.has(n) || (process.env[n] ?? "") !== "");
const demo = !hasKey || process.env.FREEWAY_DEMO === "1";

const vars: Record<string, string> = { ACCESS: "open" };
let sim: Awaited<ReturnType<typeof startSimulatorServer>> | null = null;
if (demo) {
  sim = await startSimulatorServer({ port: simPort });
  Object.assign(vars, simulatorEnv(sim.url));
}
const args = [wranglerBin(), "dev", "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"];
for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
const wrangler = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], detached: true });
wrangler.stdout?.on("data", (d: Buffer) => {
  // wrangler's own chatter (bindings table, request log) stays visible; our banner follows once ready.
  process.stdout.write(d);
});

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (wrangler.pid !== undefined && wrangler.exitCode === null) {
      try {
        process.kill(-wrangler.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await sim?.close();
  }
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));

const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 600; i++) {
  try {
    const r = await fetch(`${url}/health`);
    if (r.ok) break;
  } catch {
    // not up yet
  }
  await new Promise((r) => setTimeout(r, 200));
}
console.log(`
freeway is running at ${url}${demo ? `  (demo mode: simulated providers at ${sim?.url})` : ""}

  curl ${url}/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"auto","messages":[{"role":"user","content":"Hello!"}]}'

  status: ${url}/v1/routing/status    models: ${url}/v1/models    Ctrl-C stops ${demo ? "both" : "it"}.
`);
