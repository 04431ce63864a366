// A small closed-loop load generator: `concurrency` clients each sending the next request when the last returns.

import { Agent, request as httpRequest } from "node:http";

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  latenciesMs: number[];
  /** values of one response header, per request (e.g. x-freeway-rpcs) */
  header: string[];
  statuses: Record<number, number>;
}

export interface LoadSpec {
  url: string;
  body: string;
  concurrency: number;
  /** measure for this long after the warm-up */
  seconds: number;
  warmupRequests: number;
  headerName?: string;
}

function once(agent: Agent, url: URL, body: string, headerName: string | undefined): Promise<{ status: number; ms: number; header: string | undefined }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", authorization: "Bearer bench", "content-length": Buffer.byteLength(body) } },
      (res) => {
        res.on("data", () => undefined);
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, header: headerName ? (res.headers[headerName] as string | undefined) : undefined }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  // Warm-up: connections open, JIT warm, actors created; not measured.
  for (let i = 0; i < spec.warmupRequests; i += spec.concurrency) {
    await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.warmupRequests - i) }, () => once(agent, url, spec.body, undefined).catch(() => undefined)));
  }
  const latencies: number[] = [];
  const header: string[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const start = performance.now();
  const end = start + spec.seconds * 1000;
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (performance.now() < end) {
        try {
          const r = await once(agent, url, spec.body, spec.headerName);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status !== 200) errors++;
          latencies.push(r.ms);
          if (r.header !== undefined) header.push(r.header);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, latenciesMs: latencies, header, statuses };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/**
 * How long a gateway keeps working after its last response: the request log's flush and unspent credit given back
 * (LOG_FLUSH_MS and CREDIT_MS, 1 s each), plus margin. The bench waits this long before reading a gateway's CPU and
 * actor-call counters, so that work counts for the target that caused it and stays out of the next one's time.
 */
export const SETTLE_MS = 1_500;

export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
