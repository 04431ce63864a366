// `npm run bench`, second table: embeddings (1 and 100 inputs) and Responses streaming, each beside the same work
// sent straight to the simulator, on a gateway of their own so the chat table is measured exactly as before.

import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { load, mean, percentile, settle } from "./load.ts";
import { GATEWAY_DURABLE_OBJECTS, startWorkerd, writeConfig } from "./workerd.ts";

export interface ApiBenchOptions {
  bundleDir: string;
  work: string;
  host: string;
  port: number;
  /** the simulator's OpenAI-compatible root (its generic mount) */
  upstream: string;
  seconds: number;
  rounds: number;
  concurrency: readonly number[];
  /** CPU seconds a process has used so far */
  cpuSeconds: (pid: number) => number;
  /** started processes, killed when the benchmark exits */
  children: ChildProcess[];
}

export interface ApiRow {
  workload: string;
  target: "direct (simulator)" | "freeway";
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  errors: number;
  cpuMsPerRequest: number | null;
  rpcsMean: number | null;
}

interface Cell {
  workload: string;
  target: ApiRow["target"];
  url: string;
  body: string;
  viaGateway: boolean;
}

const EMBED_MODEL = { upstream: "bench-embed", kind: "embedding", dimensions: 1536, maxBatch: 2048 };
const texts = (n: number): string[] => Array.from({ length: n }, (_, i) => `Benchmark sentence number ${i} about free tiers.`);
const PROMPT = "Say hello in a few words.";

export async function benchApis(o: ApiBenchOptions): Promise<ApiRow[]> {
  const models = [...Array.from({ length: 8 }, (_, k) => `bench-model-${k + 1}`), EMBED_MODEL];
  const config = join(o.work, "freeway-apis.capnp");
  writeConfig(
    {
      bundleDir: o.bundleDir,
      host: o.host,
      port: o.port,
      dataDir: join(o.work, "data-apis"),
      durableObjects: GATEWAY_DURABLE_OBJECTS,
      text: { ACCESS: "open", ANON_BURST: "1000000000", ANON_RPM: "1000000000", CUSTOM_PROVIDERS: JSON.stringify([{ id: "bench", baseUrl: o.upstream, apiKey: "bench", models }]) },
    },
    config,
  );
  const gw = await startWorkerd(config, o.host, o.port);
  o.children.push(gw);
  const gateway = `http://${o.host}:${o.port}`;
  const cells: Cell[] = [];
  const pair = (workload: string, path: string, direct: object, viaGateway: object): void => {
    cells.push({ workload, target: "direct (simulator)", url: `${o.upstream}${path}`, body: JSON.stringify(direct), viaGateway: false });
    cells.push({ workload, target: "freeway", url: `${gateway}/v1${path}`, body: JSON.stringify(viaGateway), viaGateway: true });
  };
  for (const [n, format] of [[1, "float"], [100, "float"], [100, "base64"]] as const) {
    const input = texts(n);
    pair(`embeddings ×${n} (${format})`, "/embeddings", { model: "bench-embed", input, encoding_format: format }, { model: "auto", input, encoding_format: format });
  }
  const chatStream = { messages: [{ role: "user", content: PROMPT }], stream: true };
  pair("chat stream (reference)", "/chat/completions", { model: "bench-model-1", ...chatStream }, { model: "auto", ...chatStream });
  cells.push({ workload: "responses stream", target: "freeway", url: `${gateway}/v1/responses`, body: JSON.stringify({ model: "auto", input: PROMPT, stream: true }), viaGateway: true });
  cells.push({
    workload: "responses stream (store: false)",
    target: "freeway",
    url: `${gateway}/v1/responses`,
    body: JSON.stringify({ model: "auto", input: PROMPT, stream: true, store: false }),
    viaGateway: true,
  });

  const counters = async (): Promise<{ requests: number; actor_rpcs: number }> =>
    ((await (await fetch(`${gateway}/health`)).json()) as { isolate: { requests: number; actor_rpcs: number } }).isolate;

  const rows: ApiRow[] = [];
  for (const c of o.concurrency) {
    const acc = new Map<Cell, { lat: number[]; rps: number[]; requests: number; errors: number; cpu: number; rpcs: number; rpcRequests: number }>(
      cells.map((cell) => [cell, { lat: [], rps: [], requests: 0, errors: 0, cpu: 0, rpcs: 0, rpcRequests: 0 }]),
    );
    for (const cell of cells) await load({ url: cell.url, body: cell.body, concurrency: c, seconds: 0, warmupRequests: 100 });
    for (let round = 0; round < o.rounds; round++) {
      for (const cell of round % 2 ? [...cells].reverse() : cells) {
        const s = acc.get(cell) as NonNullable<ReturnType<typeof acc.get>>;
        const c0 = cell.viaGateway ? await counters() : null;
        const cpu0 = cell.viaGateway && gw.pid ? o.cpuSeconds(gw.pid) : 0;
        const r = await load({ url: cell.url, body: cell.body, concurrency: c, seconds: o.seconds, warmupRequests: 0 });
        if (cell.viaGateway) await settle();
        if (cell.viaGateway && gw.pid) s.cpu += o.cpuSeconds(gw.pid) - cpu0;
        s.lat.push(...r.latenciesMs);
        s.rps.push(r.rps);
        s.requests += r.requests;
        s.errors += r.errors;
        if (c0) {
          const c1 = await counters();
          s.rpcs += c1.actor_rpcs - c0.actor_rpcs;
          s.rpcRequests += c1.requests - c0.requests;
        }
      }
    }
    for (const cell of cells) {
      const s = acc.get(cell) as NonNullable<ReturnType<typeof acc.get>>;
      rows.push({
        workload: cell.workload,
        target: cell.target,
        concurrency: c,
        rps: percentile(s.rps, 50),
        p50: percentile(s.lat, 50),
        p99: percentile(s.lat, 99),
        mean: mean(s.lat),
        errors: s.errors,
        cpuMsPerRequest: cell.viaGateway && s.requests ? (s.cpu * 1000) / s.requests : null,
        rpcsMean: s.rpcRequests ? s.rpcs / s.rpcRequests : null,
      });
    }
  }
  return rows;
}

function fmt(n: number | null, digits = 2): string {
  return n === null || !Number.isFinite(n) ? "–" : n.toFixed(digits);
}

export function printApiTable(rows: readonly ApiRow[], rounds: number, seconds: number): void {
  console.log(`\nembeddings and the Responses API — ${rounds} interleaved rounds × ${seconds}s per cell, 1536-dim vectors, simulator answering at once\n`);
  console.log("| workload | target | conc. | req/s | p50 ms | p99 ms | mean ms | +mean vs direct | CPU ms/req | actor RPCs/req mean | errors |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    // Responses streams compare with the same answer streamed as chat straight from the simulator.
    const base = r.workload.startsWith("responses") ? "chat stream (reference)" : r.workload;
    const direct = rows.find((d) => d.workload === base && d.target === "direct (simulator)" && d.concurrency === r.concurrency);
    const vs = direct && r.target === "freeway" ? r.mean - direct.mean : null;
    console.log(
      `| ${r.workload} | ${r.target} | ${r.concurrency} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.mean)} | ${fmt(vs)} | ${fmt(r.cpuMsPerRequest)} | ${fmt(r.rpcsMean, 2)} | ${r.errors} |`,
    );
  }
}
