// Drive the gateway Worker in-process (inside the vitest pool) against an in-process provider simulator.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env as poolEnv } from "cloudflare:workers";
import worker from "../../worker/index.ts";
import { forgetClientCredit } from "../../worker/access.ts";
import { forgetAll } from "../../worker/auction.ts";
import type { Env } from "../../worker/env.ts";
import { installSimulator, Simulator, simulatorEnv } from "../simulator/index.ts";
import { createAdminClient } from "../../admin-client/index.ts";

export const SIM_ORIGIN = "http://sim.test";

/**
 * Test settings: short timeouts so tests of hangs and stalls take milliseconds, not the production 30 s, and an
 * open gateway whose anonymous allowance never gets in the way (access-control tests set their own).
 */
export const FAST_TIMEOUTS: Record<string, string> = {
  ACCESS: "open",
  ANON_BURST: "1000000",
  ANON_RPM: "1000000",
  FIRST_BYTE_TIMEOUT_MS: "300",
  RESPONSE_TIMEOUT_MS: "500",
  LOG_FLUSH_MS: "5",
  REPORT_FLUSH_MS: "5",
  FIRST_TOKEN_TIMEOUT_MS: "400",
  IDLE_TIMEOUT_MS: "300",
  BID_DEADLINE_MS: "1000",
  // Pacing depends on the time of day; tests of it turn it on with limits that make the outcome certain.
  DAILY_PACING: "off",
  // Credit keeps a request's context alive until it lapses (to give back what is left), and these tests await
  // each request's context; credit.test.ts covers it, as do the end-to-end tests and the fault suite.
  CREDIT_MS: "0",
};

export interface Gateway {
  env: Env;
  sim: Simulator;
  /** one request through the Worker; waits for its waitUntil work (reports) unless `background` */
  fetch(path: string, init?: RequestInit & { background?: boolean }): Promise<Response>;
  chat(body: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  close(): void;
}

let seq = 0;
/** A provider id nobody else in this isolate uses, so each test gets fresh actors. */
export function uniqueProvider(prefix = "t"): string {
  return `${prefix}${Date.now().toString(36)}${(++seq).toString(36)}`;
}

/**
 * A gateway whose settings are `settings` (on top of the pool's bindings), with every built-in provider pointed
 * at a fresh simulator. Pass `builtins: false` to leave the built-in providers unconfigured.
 */
export function gateway(settings: Record<string, string> = {}, opts: { builtins?: boolean; sim?: Simulator } = {}): Gateway {
  const sim = opts.sim ?? new Simulator();
  const uninstall = installSimulator(sim, SIM_ORIGIN);
  void forgetAll();
  void forgetClientCredit();
  const env = { ...poolEnv, ...FAST_TIMEOUTS, ...(opts.builtins === false ? {} : simulatorEnv(SIM_ORIGIN)), ...settings } as unknown as Env;
  const gw: Gateway = {
    env,
    sim,
    async fetch(path, init = {}) {
      const ctx = createExecutionContext();
      // As Cloudflare's edge delivers it (with its `cf` object), unless the test says `cf: undefined` (self-hosted).
      const res = await worker.fetch(new Request(`http://gateway.test${path}`, "cf" in init ? init : { ...init, cf: {} }), env, ctx);
      if (!init.background) {
        // Read the body first (a stream's report is sent when it ends), then wait for the reports.
        const body = await res.arrayBuffer();
        await waitOnExecutionContext(ctx);
        return new Response(body, { status: res.status, headers: res.headers });
      }
      return res;
    },
    chat(body, headers = {}) {
      return gw.fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    },
    close() {
      uninstall();
      void forgetAll();
      void forgetClientCredit();
    },
  };
  return gw;
}

/** CUSTOM_PROVIDERS for a fresh OpenAI-compatible provider served by the simulator's generic mount. */
export function customProvider(id: string, models: Array<string | Record<string, unknown>>, limits?: Record<string, number>): string {
  return JSON.stringify([{ id, baseUrl: `${SIM_ORIGIN}/openai/v1`, apiKey: "sim-key", models, ...(limits ? { limits } : {}) }]);
}

/** The typed admin client, talking to the gateway in this isolate (as a browser or the CLI would over HTTP). */
export function adminClient(g: Gateway, token: string): ReturnType<typeof createAdminClient> {
  return createAdminClient({
    url: "http://gateway.test",
    token,
    fetch: (input, init) => {
      const u = new URL(input instanceof Request ? input.url : String(input));
      return g.fetch(`${u.pathname}${u.search}`, init ?? {});
    },
  });
}

