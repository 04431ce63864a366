// `npm run bench`: simulator, a bare pass-through Worker and freeway, both on plain workerd, measured in one run
// (two shared, noisy cores: compare ratios within a run, not numbers across runs). Prints a table, writes JSON.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load, mean, percentile, type LoadResult } from "./lib/load.ts";
import { buildBundle, GATEWAY_DURABLE_OBJECTS, ROOT, startWorkerd, writeConfig } from "./lib/workerd.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CATALOG_SIZES = (process.env.BENCH_MODELS ?? "8,40,200").split(",").map(Number);
const CONCURRENCY = [1, 32];
const HOST = "127.0.0.1";
const SIM_PORT = 8891;
const BARE_PORT = 8892;
const GATEWAY_PORT = 8893;

/** CPU seconds used so far by a process (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // utime and stime are fields 14 and 15 of /proc/pid/stat; after "comm) " they sit at index 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
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

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
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

function row(target: string, models: number | null, concurrency: number, r: LoadResult, cpu: number | null, rpcsMean: number | null = null): Row {
  const rpcs = r.header.map(Number).filter(Number.isFinite);
  return {
    target,
    models,
    concurrency,
    rps: r.rps,
    p50: percentile(r.latenciesMs, 50),
    p99: percentile(r.latenciesMs, 99),
    mean: mean(r.latenciesMs),
    errors: r.errors,
    cpuMsPerRequest: cpu === null ? null : (cpu * 1000) / r.requests,
    rpcsMedian: rpcs.length ? percentile(rpcs, 50) : null,
    rpcsMean,
  };
}

const work = mkdtempSync(join(tmpdir(), "freeway-bench-"));
const children: ChildProcess[] = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

// 1. The simulator in its own process (its own event loop), limits off, answering at once.
const sim = spawn(process.execPath, [join(ROOT, "test/simulator/server.ts"), "--port", String(SIM_PORT)], { stdio: "ignore" });
children.push(sim);
const simUrl = `http://${HOST}:${SIM_PORT}`;
await waitFor(`${simUrl}/_sim/stats`);
await fetch(`${simUrl}/_sim/config`, { method: "POST", body: JSON.stringify({ limits: "off", latencyMs: 0, tokenIntervalMs: 0 }) });
const upstream = `${simUrl}/openai/v1`;
const body = JSON.stringify({ model: "auto", messages: [{ role: "user", content: "Say hello in a few words." }] });

// 2. The bare pass-through Worker on workerd.
const bareDir = join(work, "bare");
mkdirSync(bareDir);
writeFileSync(join(bareDir, "index.js"), readFileSync(join(ROOT, "bench/bare-worker.js")));
writeConfig({ bundleDir: bareDir, host: HOST, port: BARE_PORT, text: { UPSTREAM: upstream } }, join(work, "bare.capnp"));
const bare = await startWorkerd(join(work, "bare.capnp"), HOST, BARE_PORT);
children.push(bare);

// 3. freeway's production bundle.
const bundleDir = join(work, "freeway");
buildBundle(bundleDir);

const rows: Row[] = [];
for (const c of CONCURRENCY) {
  rows.push(row("direct (simulator)", null, c, await load({ url: `${upstream}/chat/completions`, body, concurrency: c, seconds: SECONDS, warmupRequests: 100 }), null));
  const bareUrl = `http://${HOST}:${BARE_PORT}/v1/chat/completions`;
  await load({ url: bareUrl, body, concurrency: c, seconds: 0, warmupRequests: 100 });
  const t0 = cpuSeconds(bare.pid as number);
  const r = await load({ url: bareUrl, body, concurrency: c, seconds: SECONDS, warmupRequests: 0 });
  rows.push(row("bare Worker", null, c, r, cpuSeconds(bare.pid as number) - t0));
}

for (const n of CATALOG_SIZES) {
  const models = Array.from({ length: n }, (_, i) => `bench-model-${i + 1}`);
  const config = join(work, `freeway-${n}.capnp`);
  writeConfig(
    {
      bundleDir,
      host: HOST,
      port: GATEWAY_PORT,
      dataDir: join(work, `data-${n}`),
      durableObjects: GATEWAY_DURABLE_OBJECTS,
      text: { CUSTOM_PROVIDERS: JSON.stringify([{ id: "bench", baseUrl: upstream, apiKey: "bench", models }]) },
    },
    config,
  );
  const gw = await startWorkerd(config, HOST, GATEWAY_PORT);
  children.push(gw);
  for (const c of CONCURRENCY) {
    const url = `http://${HOST}:${GATEWAY_PORT}/v1/chat/completions`;
    // Warm-up (not measured): connections, JIT, and actors created, as on a gateway that has been running.
    await load({ url, body, concurrency: c, seconds: 0, warmupRequests: Math.max(200, n * 2) });
    const counters = async (): Promise<{ requests: number; actor_rpcs: number }> =>
      ((await (await fetch(`http://${HOST}:${GATEWAY_PORT}/health`)).json()) as { isolate: { requests: number; actor_rpcs: number } }).isolate;
    const c0 = await counters();
    const before = cpuSeconds(gw.pid as number);
    const r = await load({ url, body, concurrency: c, seconds: SECONDS, warmupRequests: 0, headerName: "x-freeway-rpcs" });
    const cpu = cpuSeconds(gw.pid as number) - before;
    // Reports still in flight land within 100 ms; read the counters after them.
    await new Promise((res) => setTimeout(res, 300));
    const c1 = await counters();
    rows.push(row("freeway", n, c, r, cpu, (c1.actor_rpcs - c0.actor_rpcs) / (c1.requests - c0.requests)));
  }
  await stop(gw);
}

function fmt(n: number | null, digits = 2): string {
  return n === null || !Number.isFinite(n) ? "–" : n.toFixed(digits);
}

const byKey = (t: string, c: number): Row | undefined => rows.find((r) => r.target === t && r.concurrency === c);
console.log(`\nfreeway benchmark — ${SECONDS}s per cell, non-streaming chat, simulator answering at once\n`);
console.log("| target | models | conc. | req/s | p50 ms | p99 ms | mean ms | +mean vs direct | +mean vs bare | rps vs bare | CPU ms/req | actor RPCs/req median | actor RPCs/req mean | errors |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const direct = byKey("direct (simulator)", r.concurrency);
  const bareRow = byKey("bare Worker", r.concurrency);
  const vsDirect = direct && r.target !== direct.target ? r.mean - direct.mean : null;
  const vsBare = bareRow && r.target === "freeway" ? r.mean - bareRow.mean : null;
  const rpsRatio = bareRow && r.target === "freeway" ? `${Math.round((r.rps / bareRow.rps) * 100)} %` : "–";
  console.log(
    `| ${r.target} | ${r.models ?? "–"} | ${r.concurrency} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.mean)} | ${fmt(vsDirect)} | ${fmt(vsBare)} | ${rpsRatio} | ${fmt(r.cpuMsPerRequest)} | ${fmt(r.rpcsMedian, 0)} | ${fmt(r.rpcsMean, 2)} | ${r.errors} |`,
  );
}

const out = join(ROOT, "bench", "results");
mkdirSync(out, { recursive: true });
const file = join(out, "latest.json");
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, node: process.version, rows }, null, 2));
console.log(`\nresults written to ${file}`);
process.exit(0);
