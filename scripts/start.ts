// `npm start`: the gateway under `wrangler dev`. With no provider key anywhere it runs the demo: the bundled
// provider simulator plays all eight providers on 127.0.0.1, so routing and failover work with no account.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROVIDERS } from "../shared/catalog/providers.ts";
import { SETTINGS } from "../shared/settings.ts";
import { startSimulatorServer } from "../test/simulator/server.ts";
import { simulatorEnv } from "../test/simulator/env.ts";
import { printProblems } from "./lib/problems.ts";
import { portFree, portFrom, stopWithParent } from "./lib/process.ts";
import { ROOT, wranglerBin } from "./lib/workerd.ts";

/** A mistake in the setup: said in one line, no stack trace. */
function fail(message: string): never {
  console.error(`start: ${message}`);
  process.exit(1);
}

let port = 8787;
let simPort = 8790;
try {
  port = portFrom("PORT", 8787);
  simPort = portFrom("SIM_PORT", 8790);
} catch (e) {
  fail((e as Error).message);
}
if (!(await portFree("127.0.0.1", port))) fail(`127.0.0.1:${port} is already in use (another gateway?): stop it, or set PORT`);

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
  if (!(await portFree("127.0.0.1", simPort))) fail(`127.0.0.1:${simPort}, the demo's simulator port, is already in use (\`npm run simulator\`?): stop it, or set SIM_PORT`);
  sim = await startSimulatorServer({ port: simPort });
  Object.assign(vars, simulatorEnv(sim.url));
}
const args = [wranglerBin(), "dev", "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"];
for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
const envFile = settingsFromShell();
if (envFile) args.push("--env-file", envFile);

/**
 * Settings exported in the shell (GROQ_API_KEY=… npm start): wrangler dev reads .dev.vars, not the shell, so they
 * go to it in a private file of their own (on top of .dev.vars, which wrangler then no longer reads itself),
 * deleted when this stops. Null when the shell sets none.
 */
function settingsFromShell(): string | null {
  const names = SETTINGS.map((s) => s.name).filter((n) => (process.env[n] ?? "") !== "");
  if (names.length === 0) return null;
  const lines: string[] = [];
  const devVars = join(ROOT, ".dev.vars");
  if (existsSync(devVars)) lines.push(readFileSync(devVars, "utf8"));
  for (const n of names) {
    const value = process.env[n] as string;
    // dotenv takes a value in quotes of a kind it does not contain.
    const quote = ["'", '"', "`"].find((q) => !value.includes(q));
    if (!quote) fail(`${n} contains ', " and \` at once: put it in .dev.vars instead`);
    lines.push(`${n}=${quote}${value}${quote}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "freeway-start-"));
  const file = join(dir, ".env");
  writeFileSync(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return file;
}
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
// Closing the terminal (SIGHUP) or losing npm must not leave wrangler serving the port: it runs detached.
stopWithParent(() => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 0));

const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 600; i++) {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
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
await printProblems(url);
