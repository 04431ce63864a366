// runChaos: the simulator as every provider, freeway (or any OpenAI-compatible gateway) in front of it, and the
// named scenarios one after another, each graded pass / partial / safe / fail.

import OpenAI from "openai";
import { Simulator } from "../../../test/simulator/simulator.ts";
import { simulatorEnv } from "../../../test/simulator/env.ts";
import { startSimulatorServer } from "../../../test/simulator/server.ts";
import type { SimConfig, SimRule } from "../../../test/simulator/types.ts";
import { sleep } from "./client.ts";
import { LIVE_PROVIDERS, startFreeway, type RunningFreeway } from "./freeway.ts";
import { verdict } from "./grade.ts";
import { ANSWER_TOKENS } from "./one-shot.ts";
import { SCENARIOS } from "./scenarios.ts";
import { GRADES, type ChaosContext, type Grade, type Scenario, type ScenarioResult, type Scorecard, type Verdict } from "./types.ts";

export interface ChaosOptions {
  /** an OpenAI-compatible gateway already running (…/v1; a bare origin gets /v1); absent = start freeway */
  baseURL?: string;
  /** the `model` of every request (default "auto") */
  model?: string;
  apiKey?: string;
  /** the simulator's port (default: any free one); fixed, another gateway can be configured with it beforehand */
  simPort?: number;
  /** run only these scenarios (names) */
  only?: readonly string[];
  /** told each result as soon as it is known, and what the suite is doing */
  onResult?: (r: ScenarioResult) => void;
  onNote?: (line: string) => void;
}

/** Upstream without limits of its own and with tokens a few ms apart, so only the scripted faults happen. */
const SIM_CONFIG: Partial<SimConfig> = { limits: "off", latencyMs: 0, tokenIntervalMs: 5 };
/** Between scenarios: outcomes reach the gateway's actors before the next scenario reads their state. */
const SETTLE_MS = 300;
const GATEWAY_WAIT_MS = 60_000;

export function normalizeBaseURL(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, "");
  return `${u.origin}${path === "" ? "/v1" : path}`;
}

/** Waits until something answers HTTP at the gateway (any status): another gateway may still be starting. */
async function waitForGateway(baseURL: string): Promise<void> {
  const deadline = Date.now() + GATEWAY_WAIT_MS;
  for (;;) {
    try {
      await (await fetch(`${baseURL}/models`, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`nothing answers at ${baseURL} after ${GATEWAY_WAIT_MS / 1000} s: ${String(e)}`);
      await sleep(500);
    }
  }
}

async function runOne(s: Scenario, base: Omit<ChaosContext, "signal" | "addRules">): Promise<ScenarioResult> {
  const controller = new AbortController();
  base.sim.clearRules();
  const t0 = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<Verdict>((ok) => {
    timer = setTimeout(() => ok(verdict("fail", `no outcome within ${s.timeoutMs / 1000} s: the gateway hung`)), s.timeoutMs);
  });
  let v: Verdict;
  try {
    const addRules = (rules: SimRule | readonly SimRule[]): string[] => {
      if (controller.signal.aborted) throw new Error(`${s.name} is over: no more simulator rules`);
      return base.sim.addRules(rules);
    };
    v = await Promise.race([s.run({ ...base, signal: controller.signal, addRules }), deadline]);
  } catch (e) {
    v = verdict("fail", `the scenario broke: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
    controller.abort();
    base.sim.clearRules();
  }
  return { name: s.name, fault: s.fault, grade: v.grade, reason: v.reason, ms: Date.now() - t0 };
}

/** Runs the scenarios and returns the scorecard; starts (and stops) the simulator, and freeway unless `baseURL`. */
export async function runChaos(o: ChaosOptions = {}): Promise<Scorecard> {
  const scenarios = o.only ? SCENARIOS.filter((s) => o.only?.includes(s.name)) : SCENARIOS;
  const unknown = (o.only ?? []).filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`no such scenario: ${unknown.join(", ")}`);
  const note = o.onNote ?? (() => undefined);
  const sim = new Simulator({ config: SIM_CONFIG });
  const server = await startSimulatorServer({ port: o.simPort ?? 0, sim });
  note(`simulator (every provider) on ${server.url}`);
  let freeway: RunningFreeway | undefined;
  try {
    let baseURL: string;
    if (o.baseURL) {
      baseURL = normalizeBaseURL(o.baseURL);
      const roots = Object.entries(simulatorEnv(server.url)).filter(([k]) => k.endsWith("_BASE_URL"));
      note(`the gateway's upstreams (any API key): ${roots.map(([k, v]) => `${k.replace(/_BASE_URL$/, "").toLowerCase()} ${v}`).join(", ")}, any model: ${server.url}/openai/v1`);
      note(`waiting for the gateway at ${baseURL}`);
      await waitForGateway(baseURL);
    } else {
      note("building freeway and starting it on workerd");
      freeway = await startFreeway(server.url);
      baseURL = freeway.baseURL;
    }
    note(`gateway ${baseURL}; ${scenarios.length} scenario(s)`);
    const apiKey = o.apiKey ?? "chaos";
    const run = Date.now().toString(36);
    let seq = 0;
    const base: Omit<ChaosContext, "signal" | "addRules"> = {
      sim,
      client: new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 }),
      baseURL,
      apiKey,
      model: o.model ?? "auto",
      liveProviders: new Set<string>(freeway ? LIVE_PROVIDERS : []),
      prompt: (label) => `chaos ${label} #${++seq} ${run} [[tokens=${ANSWER_TOKENS}]]`,
    };
    const results: ScenarioResult[] = [];
    for (const s of scenarios) {
      const r = await runOne(s, base);
      results.push(r);
      o.onResult?.(r);
      await sleep(SETTLE_MS);
    }
    const totals = Object.fromEntries(GRADES.map((g) => [g, results.filter((r) => r.grade === g).length])) as Record<Grade, number>;
    return {
      date: new Date().toISOString(),
      gateway: { baseURL, model: base.model, startedFreeway: freeway !== undefined },
      simulator: { url: server.url, config: { ...sim.config() } },
      settings: freeway?.settings ?? {},
      liveProviders: [...base.liveProviders].sort(),
      results,
      totals,
    };
  } finally {
    await freeway?.stop();
    await server.close();
  }
}
