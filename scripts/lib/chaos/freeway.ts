// freeway for the fault suite: the production bundle on plain workerd (as `npm run bench` runs it), its providers
// pointed at the simulator, with timeouts short enough that every scenario takes seconds.

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROVIDERS } from "../../../shared/catalog/providers.ts";
import { simulatorEnv } from "../../../test/simulator/env.ts";
import { buildBundle, GATEWAY_DURABLE_OBJECTS, startWorkerd, writeConfig } from "../workerd.ts";

/** Groq continues an assistant prefill; the other three do not, so a rescue has both kinds to choose from. */
export const LIVE_PROVIDERS = ["groq", "cerebras", "sambanova", "gemini"] as const;

export const CHAOS_SETTINGS: Readonly<Record<string, string>> = {
  // Open, with an anonymous allowance the suite never reaches.
  ACCESS: "open",
  ANON_BURST: "1000000000",
  ANON_RPM: "1000000000",
  FIRST_BYTE_TIMEOUT_MS: "2000",
  RESPONSE_TIMEOUT_MS: "4000",
  FIRST_TOKEN_TIMEOUT_MS: "4000",
  IDLE_TIMEOUT_MS: "1500",
  HEDGE_AFTER_MS: "1000",
  MAX_RETRY_WAIT_MS: "2000",
  // Pacing spreads a daily allowance over the day; the suite wants every model's full allowance now.
  DAILY_PACING: "off",
};

export interface RunningFreeway {
  /** OpenAI base URL, …/v1 */
  baseURL: string;
  /** the settings it runs with (provider keys left out) */
  settings: Record<string, string>;
  /** what workerd wrote so far (uncaught exceptions, the Worker's logs) */
  output(): string;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

async function freePort(): Promise<number> {
  const server = createServer().listen(0, HOST);
  await new Promise((ok) => server.once("listening", ok));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      ok();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Builds the bundle and starts freeway on workerd with fresh Durable Object storage, upstream `simUrl`; `extra`
 * settings go on top of the suite's.
 */
export async function startFreeway(simUrl: string, extra: Record<string, string> = {}): Promise<RunningFreeway> {
  const work = mkdtempSync(join(tmpdir(), "freeway-chaos-"));
  let child: ChildProcess | undefined;
  // A crash of the suite must not leave workerd behind.
  const onExit = (): void => void child?.kill("SIGKILL");
  process.once("exit", onExit);
  const stop = async (): Promise<void> => {
    process.off("exit", onExit);
    if (child) await stopChild(child);
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const live = PROVIDERS.filter((p) => (LIVE_PROVIDERS as readonly string[]).includes(p.id));
    const upstream = Object.entries(simulatorEnv(simUrl)).filter(([name]) => live.some((p) => name === p.baseUrlEnv || name === p.keyEnv));
    const settings = { ...CHAOS_SETTINGS, ...Object.fromEntries(upstream.filter(([name]) => !live.some((p) => p.keyEnv === name))) };
    const bundleDir = join(work, "bundle");
    buildBundle(bundleDir);
    const port = await freePort();
    const config = join(work, "freeway.capnp");
    writeConfig(
      { bundleDir, host: HOST, port, dataDir: join(work, "data"), durableObjects: GATEWAY_DURABLE_OBJECTS, text: { ...CHAOS_SETTINGS, ...Object.fromEntries(upstream), ...extra } },
      config,
    );
    let output = "";
    child = await startWorkerd(config, HOST, port, process.env, (text) => {
      output = (output + text).slice(-100_000);
    });
    return { baseURL: `http://${HOST}:${port}/v1`, settings, output: () => output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
