// `npm run bench`: simulator, a bare pass-through Worker and freeway, all on plain workerd, measured in one run.
// Two shared, noisy cores: targets are measured in interleaved rounds (bare, freeway 8, 40, 200, …) so drift hits
// them alike, and the table compares them as ratios. Prints a table, writes bench/results/latest.json.
// Sections: chat, apis (embeddings, Responses), analytics (queries over 7 days of logs). BENCH_ONLY=analytics (a
// comma-separated list) runs only those; the other sections already in latest.json are kept as they were.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchAnalytics, printAnalyticsTable } from "./lib/bench-analytics.ts";
import { benchApis, printApiTable } from "./lib/bench-apis.ts";
import { load, mean, percentile, settle } from "./lib/load.ts";
import { buildBundle, GATEWAY_DURABLE_OBJECTS, ROOT, startWorkerd, type WorkerdConfig, writeConfig } from "./lib/workerd.ts";

// Chat cells are short and many: its concurrency-1 latencies differ by fractions of a millisecond, and the machine's
// speed drifts within seconds, so finer interleaving gives every target the same mix of fast and slow moments.
// BENCH_ROUNDS and BENCH_SECONDS, when set, apply to every section.
const CHAT_SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const CHAT_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CATALOG_SIZES = (process.env.BENCH_MODELS ?? "8,40,200").split(",").map(Number);
const CONCURRENCY = [1, 32];
const HOST = "127.0.0.1";
const SIM_PORT = 8891;
const BARE_PORT = 8892;
const FLOOR_PORT = 8890;
const BUFFERING_PORT = 8889;
const GATEWAY_PORT = 8893; // + index of the catalog size
const SECTIONS = ["chat", "apis", "analytics"] as const;
type Section = (typeof SECTIONS)[number];
const ONLY = (process.env.BENCH_ONLY ?? "").split(",").map((s) => s.trim()).filter(Boolean);
for (const s of ONLY) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`BENCH_ONLY: unknown section "${s}" (sections: ${SECTIONS.join(", ")})`);
const runs = (s: Section): boolean => ONLY.length === 0 || ONLY.includes(s);
const ANALYTICS_RECORDS = Number(process.env.BENCH_ANALYTICS_RECORDS ?? 70_000);
const ANALYTICS_REPS = Number(process.env.BENCH_ANALYTICS_REPS ?? 20);

/** CPU seconds used so far by a process (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // utime and stime are fields 14 and 15 of /proc/pid/stat; after "comm) " they sit at index 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

interface Target {
  name: string;
  models: number | null;
  url: string;
  pid: number | null;
  /** /health of a freeway gateway, for its actor-call counters */
  health?: string;
}

interface Samples {
  latencies: number[];
  rps: number[];
  requests: number;
  errors: number;
  cpu: number;
  rpcHeader: number[];
  rpcs: number;
  rpcRequests: number;
}

interface Row {
  target: string;
  models: number | null;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  errors: number;
  cpuMsPerRequest: number | null;
  rpcsMedian: number | null;
  /** every actor call the isolate made (bids, releases, reports, flushes) ÷ requests */
  rpcsMean: number | null;
}

const work = mkdtempSync(join(tmpdir(), "freeway-bench-"));
const children: ChildProcess[] = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

// The simulator in its own process (its own event loop), limits off, answering at once.
const sim = spawn(process.execPath, [join(ROOT, "test/simulator/server.ts"), "--port", String(SIM_PORT)], { stdio: "ignore" });
children.push(sim);
const simUrl = `http://${HOST}:${SIM_PORT}`;
await waitFor(`${simUrl}/_sim/stats`);
await fetch(`${simUrl}/_sim/config`, { method: "POST", body: JSON.stringify({ limits: "off", latencyMs: 0, tokenIntervalMs: 0 }) });
const upstream = `${simUrl}/openai/v1`;
const body = JSON.stringify({ model: "auto", messages: [{ role: "user", content: "Say hello in a few words." }] });

// freeway's production bundle, shared by every section's gateways.
const bundleDir = join(work, "freeway");
buildBundle(bundleDir);

/** Chat through the simulator, a bare Worker and freeway at each catalog size (table 1). */
async function benchChat(): Promise<Row[]> {
  /** One of the reference Workers in bench/, on plain workerd of its own, passing requests to the simulator. */
  async function reference(name: string, port: number, extra: Partial<WorkerdConfig> = {}): Promise<ChildProcess> {
    const dir = join(work, name);
    mkdirSync(dir);
    writeFileSync(join(dir, "index.js"), readFileSync(join(ROOT, `bench/${name}-worker.js`)));
    writeConfig({ bundleDir: dir, host: HOST, port, text: { UPSTREAM: upstream }, ...extra }, join(work, `${name}.capnp`));
    const child = await startWorkerd(join(work, `${name}.capnp`), HOST, port);
    children.push(child);
    return child;
  }
  // The bare pass-through Worker.
  const bare = await reference("bare", BARE_PORT);
  // The same, buffering both ways as freeway must (read and parse the request, then the answer).
  const buffering = await reference("buffering", BUFFERING_PORT);
  // The same plus two actor calls side by side (freeway's limiter take and bid), on SQLite-backed actors.
  const floor = await reference("actor-floor", FLOOR_PORT, { dataDir: join(work, "data-floor"), durableObjects: { COUNTER: "Counter" } });

  // One gateway per catalog size, each with its own Durable Object storage.
  const targets: Target[] = [
    { name: "direct (simulator)", models: null, url: `${upstream}/chat/completions`, pid: null },
    { name: "bare Worker", models: null, url: `http://${HOST}:${BARE_PORT}/v1/chat/completions`, pid: bare.pid ?? null },
    { name: "bare + buffering", models: null, url: `http://${HOST}:${BUFFERING_PORT}/v1/chat/completions`, pid: buffering.pid ?? null },
    { name: "bare + 2 actor calls", models: null, url: `http://${HOST}:${FLOOR_PORT}/v1/chat/completions`, pid: floor.pid ?? null },
  ];
  for (const [i, n] of CATALOG_SIZES.entries()) {
    const port = GATEWAY_PORT + i;
    const models = Array.from({ length: n }, (_, k) => `bench-model-${k + 1}`);
    const config = join(work, `freeway-${n}.capnp`);
    writeConfig(
      {
        bundleDir,
        host: HOST,
        port,
        dataDir: join(work, `data-${n}`),
        durableObjects: GATEWAY_DURABLE_OBJECTS,
        // Open mode with an allowance the load never reaches: every request still passes its client limiter.
        text: { ACCESS: "open", ANON_BURST: "1000000000", ANON_RPM: "1000000000", CUSTOM_PROVIDERS: JSON.stringify([{ id: "bench", baseUrl: upstream, apiKey: "bench", models }]) },
      },
      config,
    );
    const gw = await startWorkerd(config, HOST, port);
    children.push(gw);
    targets.push({ name: "freeway", models: n, url: `http://${HOST}:${port}/v1/chat/completions`, pid: gw.pid ?? null, health: `http://${HOST}:${port}/health` });
  }

  async function counters(t: Target): Promise<{ requests: number; actor_rpcs: number }> {
    return ((await (await fetch(t.health as string)).json()) as { isolate: { requests: number; actor_rpcs: number } }).isolate;
  }

  const rows: Row[] = [];
  for (const c of CONCURRENCY) {
    const samples = new Map<Target, Samples>(
      targets.map((t) => [t, { latencies: [], rps: [], requests: 0, errors: 0, cpu: 0, rpcHeader: [], rpcs: 0, rpcRequests: 0 }]),
    );
    // Warm-up (not measured): connections, JIT, and every actor created, as on a gateway that has been running.
    for (const t of targets) await load({ url: t.url, body, concurrency: c, seconds: 0, warmupRequests: Math.max(200, (t.models ?? 0) * 2) });
    for (let round = 0; round < CHAT_ROUNDS; round++) {
      for (const t of round % 2 ? [...targets].reverse() : targets) {
        const s = samples.get(t) as Samples;
        const c0 = t.health ? await counters(t) : null;
        const cpu0 = t.pid ? cpuSeconds(t.pid) : 0;
        const r = await load({ url: t.url, body, concurrency: c, seconds: CHAT_SECONDS, warmupRequests: 0, headerName: t.health ? "x-freeway-rpcs" : undefined });
        if (t.health) await settle();
        if (t.pid) s.cpu += cpuSeconds(t.pid) - cpu0;
        s.latencies.push(...r.latenciesMs);
        s.rps.push(r.rps);
        s.requests += r.requests;
        s.errors += r.errors;
        s.rpcHeader.push(...r.header.map(Number).filter(Number.isFinite));
        if (c0) {
          const c1 = await counters(t);
          s.rpcs += c1.actor_rpcs - c0.actor_rpcs;
          s.rpcRequests += c1.requests - c0.requests;
        }
      }
    }
    for (const t of targets) {
      const s = samples.get(t) as Samples;
      rows.push({
        target: t.name,
        models: t.models,
        concurrency: c,
        rps: percentile(s.rps, 50),
        p50: percentile(s.latencies, 50),
        p99: percentile(s.latencies, 99),
        mean: mean(s.latencies),
        errors: s.errors,
        cpuMsPerRequest: t.pid ? (s.cpu * 1000) / s.requests : null,
        rpcsMedian: s.rpcHeader.length ? percentile(s.rpcHeader, 50) : null,
        rpcsMean: s.rpcRequests ? s.rpcs / s.rpcRequests : null,
      });
    }
  }

  function fmt(n: number | null, digits = 2): string {
    return n === null || !Number.isFinite(n) ? "–" : n.toFixed(digits);
  }

  const find = (t: string, c: number): Row | undefined => rows.find((r) => r.target === t && r.concurrency === c);
  console.log(`\nfreeway benchmark — ${CHAT_ROUNDS} interleaved rounds × ${CHAT_SECONDS}s per cell, non-streaming chat, simulator answering at once\n`);
  console.log("| target | models | conc. | req/s | p50 ms | p99 ms | mean ms | +mean vs direct | +mean vs bare | req/s vs bare | CPU ms/req | actor RPCs/req median | actor RPCs/req mean | errors |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const direct = find("direct (simulator)", r.concurrency);
    const bareRow = find("bare Worker", r.concurrency);
    const vsDirect = direct && r.target !== direct.target ? r.mean - direct.mean : null;
    const measured = r.target !== direct?.target && r.target !== bareRow?.target;
    const vsBare = bareRow && measured ? r.mean - bareRow.mean : null;
    const rpsRatio = bareRow && measured ? `${Math.round((r.rps / bareRow.rps) * 100)} %` : "–";
    console.log(
      `| ${r.target} | ${r.models ?? "–"} | ${r.concurrency} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.mean)} | ${fmt(vsDirect)} | ${fmt(vsBare)} | ${rpsRatio} | ${fmt(r.cpuMsPerRequest)} | ${fmt(r.rpcsMedian, 0)} | ${fmt(r.rpcsMean, 2)} | ${r.errors} |`,
    );
  }
  return rows;
}

const chatRows = runs("chat") ? await benchChat() : null;

// Embeddings and Responses streaming: a gateway of their own, measured after the chat cells (table 2).
const apiRows = runs("apis")
  ? await benchApis({
      bundleDir,
      work,
      host: HOST,
      port: GATEWAY_PORT + CATALOG_SIZES.length,
      upstream,
      seconds: SECONDS,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      cpuSeconds,
      children,
    })
  : null;
if (apiRows) printApiTable(apiRows, ROUNDS, SECONDS);

// Analytics queries over 7 days of request logs for 40 models, each under 300 ms (table 3).
const analytics = runs("analytics")
  ? await benchAnalytics({ bundleDir, work, host: HOST, port: GATEWAY_PORT + CATALOG_SIZES.length + 1, upstream, records: ANALYTICS_RECORDS, reps: ANALYTICS_REPS, children })
  : null;
if (analytics) printAnalyticsTable(analytics);

const out = join(ROOT, "bench", "results");
mkdirSync(out, { recursive: true });
const file = join(out, "latest.json");
// A partial run (BENCH_ONLY) replaces only its own sections; the chat and API figures keep their run's settings.
let previous: Record<string, unknown> = {};
try {
  previous = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
} catch {
  // no earlier results
}
const chatAndApis =
  chatRows || apiRows
    ? { date: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, chatSeconds: CHAT_SECONDS, chatRounds: CHAT_ROUNDS, node: process.version }
    : {};
writeFileSync(
  file,
  JSON.stringify(
    { ...previous, ...chatAndApis, ...(chatRows ? { rows: chatRows } : {}), ...(apiRows ? { apiRows } : {}), ...(analytics ? { analytics: { ...analytics, node: process.version } } : {}) },
    null,
    2,
  ),
);
console.log(`\nresults written to ${file}`);
process.exit(analytics && analytics.rows.some((r) => !r.pass) ? 1 : 0);
