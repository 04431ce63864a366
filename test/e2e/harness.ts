// End-to-end stack: the provider simulator in this process plus the real gateway under `wrangler dev`,
// driven with the official `openai` SDK exactly as a user would.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { simulatorEnv } from "../simulator/env.ts";
import { startSimulatorServer } from "../simulator/server.ts";
import type { Simulator } from "../simulator/simulator.ts";
import type { LogEntry } from "../simulator/types.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);

/** Short timeouts so hangs and stalls cost well under a second per attempt. */
export const E2E_TIMEOUTS: Record<string, string> = {
  FIRST_BYTE_TIMEOUT_MS: "500",
  // A non-streaming attempt's whole-answer deadline (the simulator answers at once unless a rule says otherwise).
  RESPONSE_TIMEOUT_MS: "1000",
  FIRST_TOKEN_TIMEOUT_MS: "800",
  IDLE_TIMEOUT_MS: "500",
  // These tests pin down cooldowns and 503s as a caller sees them; the gateway's own short waits on Retry-After and
  // its time-of-day quota pacing are covered by the integration suite.
  MAX_RETRY_WAIT_MS: "0",
  DAILY_PACING: "off",
};

const READY_TIMEOUT_MS = 60_000;
/** launches of wrangler dev tried when one fails to bind an internal port of its own (see `launch`) */
const LAUNCH_TRIES = 3;
const STOP_GRACE_MS = 5_000;

export interface Stack {
  /** the gateway's origin, e.g. http://127.0.0.1:43121 */
  url: string;
  /** `${url}/v1`, what an OpenAI client takes as baseURL */
  baseURL: string;
  /** the simulator itself (it runs in the test process): addRule, config, log, stats, reset */
  sim: Simulator;
  simUrl: string;
  client: OpenAI;
  /** wrangler's stdout and stderr so far, for failure messages */
  output(): string;
  /** Stops wrangler dev and starts it again on the same port and Durable Object state (the simulator keeps running). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function wranglerCli(): string {
  return join(dirname(require.resolve("wrangler/package.json")), "bin/wrangler.js");
}

/** A port nobody listens on right now (the OS picks it; it is closed again before we return). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((ok) => {
    const timer = setTimeout(() => ok(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      ok(true);
    });
  });
}

/** Signal the whole process group (wrangler, its esbuild and workerd children). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Whether any process of the group is still alive (the leader may exit before workerd does). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Process groups started here and not yet stopped: killed on exit even if afterAll never ran. */
const live = new Set<number>();
process.once("exit", () => {
  for (const pid of live) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  killGroup(child, "SIGTERM");
  await waitForExit(child, STOP_GRACE_MS);
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pid)) {
    killGroup(child, "SIGKILL");
    await waitForExit(child, STOP_GRACE_MS);
  }
  live.delete(pid);
}

export interface StackOptions {
  /** keep Durable Object state in this directory (left in place by stop()) instead of a fresh temporary one */
  persistTo?: string;
}

/**
 * Starts the simulator on a free port and the gateway under `wrangler dev` pointed at it, with short timeouts,
 * `settings` on top, and its own Durable Object storage. Call `stop()` in afterAll, whatever happened.
 */
export async function startStack(settings: Record<string, string> = {}, options: StackOptions = {}): Promise<Stack> {
  const simServer = await startSimulatorServer({ port: 0 });
  const persist = options.persistTo ?? mkdtempSync(join(tmpdir(), "freeway-e2e-"));
  let child: ChildProcess | undefined;
  let log = "";
  const stop = async (): Promise<void> => {
    if (child) await stopGroup(child);
    child = undefined;
    await simServer.close();
    if (options.persistTo === undefined) rmSync(persist, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const inspectorPort = await freePort();
    // Open, with an anonymous allowance no test reaches (the access-control tests set their own).
    const vars: Record<string, string> = { ACCESS: "open", ANON_BURST: "1000000", ANON_RPM: "1000000", ...simulatorEnv(simServer.url), ...E2E_TIMEOUTS, ...settings };
    const args = [
      wranglerCli(),
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      persist,
      "--show-interactive-dev-session=false",
      // Worker console output (console.error of unhandled errors) stays in output(); request lines do not.
      "--log-level",
      "log",
    ];
    for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
    const url = `http://127.0.0.1:${port}`;

    /** wrangler dev, started and answering GET /health. */
    const launchOnce = async (): Promise<void> => {
      const spawned = spawn(process.execPath, args, {
        cwd: ROOT,
        // Own process group, so stop() reaches workerd too.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: "false",
          WRANGLER_LOG_PATH: join(persist, "logs"),
          // Never a TTY here; keep wrangler from prompting or drawing.
          CI: "1",
          NO_COLOR: "1",
        },
      });
      child = spawned;
      thisLaunch = "";
      if (spawned.pid !== undefined) live.add(spawned.pid);
      const echo = process.env["E2E_WRANGLER_LOG"] === "1";
      const keep = (d: Buffer): void => {
        if (echo) process.stderr.write(d);
        thisLaunch += d.toString();
        log += d.toString();
        if (log.length > 200_000) log = log.slice(-100_000);
      };
      spawned.stdout?.on("data", keep);
      spawned.stderr?.on("data", keep);

      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        if (exited(spawned)) throw new Error(`wrangler dev exited (code ${String(spawned.exitCode)}) before /health answered:\n${log}`);
        if (/address already in use/i.test(thisLaunch)) throw new Error(`wrangler dev could not bind a port:\n${thisLaunch}`);
        try {
          const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
          if (r.ok) {
            await r.arrayBuffer();
            break;
          }
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`wrangler dev did not answer GET /health within ${READY_TIMEOUT_MS / 1000} s:\n${log}`);
        await sleep(200);
      }
    };
    let thisLaunch = "";
    /**
     * wrangler dev picks internal ports of its own as it starts, and on a busy machine one may be taken between its
     * choice and its bind ("Address already in use"): nothing of ours, so that launch is tried again.
     */
    const launch = async (): Promise<void> => {
      for (let tries = 1; ; tries++) {
        try {
          await launchOnce();
          return;
        } catch (e) {
          if (tries >= LAUNCH_TRIES || !/address already in use/i.test(thisLaunch)) throw e;
          if (child) await stopGroup(child);
          child = undefined;
        }
      }
    };
    await launch();

    const baseURL = `${url}/v1`;
    return {
      url,
      baseURL,
      sim: simServer.sim,
      simUrl: simServer.url,
      client: new OpenAI({ baseURL, apiKey: "e2e", maxRetries: 0, timeout: 30_000 }),
      output: () => log,
      restart: async () => {
        if (child) await stopGroup(child);
        child = undefined;
        await launch();
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Simulator log entries for chat requests after `since` (a seq), optionally for one upstream model. */
export function chatLog(sim: Simulator, since: number, model?: string): LogEntry[] {
  return sim.log(since).filter((e) => e.endpoint === "chat" && (model === undefined || e.model === model));
}

/** The highest seq in the simulator log so far (pass it as `since` to see only what follows). */
export function logMark(sim: Simulator): number {
  const all = sim.log(0);
  return all[all.length - 1]?.seq ?? 0;
}

/** A prompt nobody else in the run uses, so answers and rules cannot collide between tests. */
let promptSeq = 0;
export function uniquePrompt(label: string): string {
  return `${label} #${++promptSeq} ${Date.now().toString(36)}`;
}

/** Provider-model entries of GET /v1/models, with the fields the tests read. */
export interface ListedModel {
  id: string;
  owned_by: string;
  freeway?: {
    kind: string;
    upstream?: string;
    family?: string | null;
    hosts?: string[];
    capabilities?: { tools: boolean; json_object: boolean; json_schema: boolean; vision: boolean; reasoning: boolean };
    configured?: boolean;
    limits?: { rpm?: number; rpd?: number; tpm?: number; tpd?: number };
  };
}

export async function listModels(stack: Stack): Promise<ListedModel[]> {
  const page = await stack.client.models.list();
  return page.data as unknown as ListedModel[];
}

/** What a streamed completion delivered, read chunk by chunk as the caller sees it. */
export interface StreamRead {
  chunks: ChatCompletionChunk[];
  /** arrival time (ms since epoch) of every chunk that carried content */
  contentTimes: number[];
  /** the content deltas in order */
  pieces: string[];
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string | null;
  usage: ChatCompletionChunk["usage"] | undefined;
  /** what the iterator threw, if it did */
  error: unknown;
}

/** Iterates a stream with `for await`, keeping every chunk and its timing, and whatever the iterator throws. */
export async function readStream(stream: AsyncIterable<ChatCompletionChunk>): Promise<StreamRead> {
  const out: StreamRead = { chunks: [], contentTimes: [], pieces: [], text: "", toolCalls: [], finishReason: null, usage: undefined, error: undefined };
  try {
    for await (const chunk of stream) {
      out.chunks.push(chunk);
      if (chunk.usage) out.usage = chunk.usage;
      for (const choice of chunk.choices) {
        const content = choice.delta.content;
        if (typeof content === "string" && content !== "") {
          out.pieces.push(content);
          out.contentTimes.push(Date.now());
        }
        for (const call of choice.delta.tool_calls ?? []) {
          const slot = (out.toolCalls[call.index] ??= { id: "", name: "", arguments: "" });
          if (call.id) slot.id = call.id;
          if (call.function?.name) slot.name += call.function.name;
          if (call.function?.arguments) slot.arguments += call.function.arguments;
        }
        if (choice.finish_reason) out.finishReason = choice.finish_reason;
      }
    }
  } catch (e) {
    out.error = e;
  }
  out.text = out.pieces.join("");
  return out;
}

/**
 * For `beforeEach`: when the test fails, print what wrangler said while it ran (the Worker's console.error of an
 * unhandled error lands there, not in the response).
 */
export function showGatewayOutputOnFailure(stack: () => Stack | undefined, ctx: { onTestFailed(fn: () => Promise<void>): void }): void {
  const from = stack()?.output().length ?? 0;
  ctx.onTestFailed(async () => {
    // wrangler forwards the Worker's logs a moment after the response.
    await sleep(300);
    const said = stack()?.output().slice(from) ?? "";
    const useful = said
      .split("\n")
      .filter((l) => l.trim() !== "" && !/Request\.cf|getaddrinfo|GetAddrInfoReqWrap|^\s*env\./.test(l))
      .join("\n");
    const reloaded = /Reloading local server/.test(said) ? "\n(wrangler dev reloaded the Worker during this test: a source file changed)" : "";
    console.error(`--- wrangler dev output during this test ---\n${useful.slice(-8000) || "(nothing)"}${reloaded}`);
  });
}

/**
 * One stack for the whole test file: started before its tests, stopped after them (even when they fail), with
 * wrangler's output shown for a failing test. The returned object stands for the running stack.
 */
export function useStack(settings: Record<string, string> = {}, options: StackOptions = {}): Stack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(settings, options);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach((ctx) => showGatewayOutputOnFailure(() => stack, ctx));
  return new Proxy({} as Stack, {
    get(_target, key) {
      if (!stack) throw new Error("the stack is not running (used outside a test?)");
      return Reflect.get(stack, key) as unknown;
    },
  });
}
