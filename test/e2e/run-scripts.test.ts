// `npm start` and `npm run serve` as a user runs them: the scripts themselves as child processes, their banner,
// one-line setup errors, a chat answered through them, settings from the shell, and nothing left running after a
// signal.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "../../shared/catalog/providers.ts";
import { ROOT } from "../../scripts/lib/workerd.ts";
import { simulatorEnv } from "../simulator/env.ts";
import { startSimulatorServer, type SimulatorServer } from "../simulator/server.ts";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function listening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** The environment of a shell with no provider key and no freeway setting in it. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const p of PROVIDERS) delete env[p.keyEnv];
  for (const n of ["CUSTOM_PROVIDERS", "FREEWAY_DEMO", "ACCESS", "PORT", "SIM_PORT", "DATA_DIR", "HOST", "ADMIN_TOKEN"]) delete env[n];
  return { ...env, ...extra, CI: "1", NO_COLOR: "1", WRANGLER_SEND_METRICS: "false" };
}

interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** A script of scripts/ as a process group of its own (so a failed test can still stop what it started). */
function run(script: string, env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [join(ROOT, "scripts", script)], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  started.push(child);
  return { child, out: () => text, exited };
}
const started: ChildProcess[] = [];

async function waitFor(r: Run, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(r.out())) {
    if (r.child.exitCode !== null) throw new Error(`exited (${r.child.exitCode}) before ${pattern}:\n${r.out()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms:\n${r.out()}`);
    await sleep(100);
  }
}

async function chat(port: number): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "Say hello." }] }),
  });
}

/** Stop a run as Ctrl-C would, then wait until its port (and any other given) no longer answers. */
async function interrupt(r: Run, ports: number[]): Promise<void> {
  r.child.kill("SIGINT");
  const code = await Promise.race([r.exited, sleep(20_000).then(() => "timeout" as const)]);
  expect(code).toBe(0);
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (await listening(port)) {
      if (Date.now() > deadline) throw new Error(`port ${port} still answers after the script stopped`);
      await sleep(200);
    }
  }
}

let sim: SimulatorServer;
const dataDir = mkdtempSync(join(tmpdir(), "freeway-run-scripts-"));

beforeAll(async () => {
  sim = await startSimulatorServer({ port: 0 });
});

afterAll(async () => {
  // A run a failed test left going: Ctrl-C first, so that the script stops what it started (wrangler runs in a
  // process group of its own, out of reach of a kill of the script's); then whatever is left of its group.
  for (const c of started) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    c.kill("SIGINT");
    await Promise.race([new Promise((r) => c.once("exit", r)), sleep(15_000)]);
    try {
      if (c.pid !== undefined) process.kill(-c.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  await sim.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm run serve", () => {
  it("serves the built bundle with the shell's settings, answers through it, and stops workerd on Ctrl-C", async () => {
    const port = await freePort();
    const groq = simulatorEnv(sim.url);
    const r = run("serve.ts", cleanEnv({ PORT: String(port), DATA_DIR: dataDir, ACCESS: "open", GROQ_API_KEY: groq.GROQ_API_KEY as string, GROQ_BASE_URL: groq.GROQ_BASE_URL as string }));
    await waitFor(r, /listening on http:\/\/127\.0\.0\.1:\d+/, 120_000);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { providers: string[] };
    expect(health.providers).toEqual(["groq"]);
    const res = await chat(port);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-provider")).toBe("groq");
    expect(r.out()).not.toContain(groq.GROQ_API_KEY);
    await interrupt(r, [port]);
  }, 180_000);

  it("says in one line that the port is taken, and exits 1", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((ok) => blocker.listen(0, "127.0.0.1", ok));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = run("serve.ts", cleanEnv({ PORT: String(port), DATA_DIR: dataDir }));
      expect(await r.exited).toBe(1);
      expect(r.out().trim()).toBe(`serve: 127.0.0.1:${port} is already in use (another gateway?): stop it, or set PORT`);
    } finally {
      await new Promise((ok) => blocker.close(ok));
    }
  }, 60_000);

  it("says in one line that PORT is not a port, and exits 1", async () => {
    const r = run("serve.ts", cleanEnv({ PORT: "80a", DATA_DIR: dataDir }));
    expect(await r.exited).toBe(1);
    const lines = r.out().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^serve: PORT/);
  }, 60_000);
});

// `npm start` reads the developer's .dev.vars (real keys, say): these cases need a checkout without one, as on CI.
describe.skipIf(existsSync(join(ROOT, ".dev.vars")))("npm start", () => {
  it("with no provider key, runs the demo: simulator and gateway, a chat answered, both stopped on Ctrl-C", async () => {
    const [port, simPort] = [await freePort(), await freePort()];
    const r = run("start.ts", cleanEnv({ PORT: String(port), SIM_PORT: String(simPort) }));
    await waitFor(r, /freeway is running at/, 120_000);
    expect(r.out()).toContain(`demo mode: simulated providers at http://127.0.0.1:${simPort}`);
    expect(r.out()).toContain(`curl http://127.0.0.1:${port}/v1/chat/completions`);
    const res = await chat(port);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-provider")).toBeTruthy();
    await interrupt(r, [port, simPort]);
  }, 180_000);

  it("with a key in the shell, talks to that provider alone and never prints the key", async () => {
    const port = await freePort();
    const groq = simulatorEnv(sim.url);
    const key = "shell-key-that-must-not-show";
    const r = run("start.ts", cleanEnv({ PORT: String(port), GROQ_API_KEY: key, GROQ_BASE_URL: groq.GROQ_BASE_URL as string }));
    await waitFor(r, /freeway is running at/, 120_000);
    expect(r.out()).not.toContain("demo mode");
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { providers: string[] };
    expect(health.providers).toEqual(["groq"]);
    const res = await chat(port);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-provider")).toBe("groq");
    expect(r.out()).not.toContain(key);
    await interrupt(r, [port]);
  }, 180_000);
});
