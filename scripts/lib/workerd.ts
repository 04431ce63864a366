// Running the built Worker on plain workerd: bundle with wrangler, generate a config, start the binary.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hostPort } from "./process.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);

/** A file inside an installed package, whatever its "exports" allow. */
export function packageFile(pkg: string, file: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), file);
}

export function wranglerBin(): string {
  return packageFile("wrangler", "bin/wrangler.js");
}

/** `wrangler deploy --dry-run --outdir`: the exact bundle Cloudflare would run. */
export function buildBundle(outdir: string, configPath = join(ROOT, "wrangler.toml")): void {
  const wrangler = wranglerBin();
  const r = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "--config", configPath], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`wrangler build failed:\n${r.stdout}\n${r.stderr}`);
}

function compatibilityDate(configPath: string): string {
  const m = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(configPath, "utf8"));
  return m?.[1] ?? "2026-11-01";
}

/** compatibility_flags from wrangler.toml, so plain workerd runs the bundle exactly as Cloudflare would. */
function compatibilityFlags(configPath: string): string[] {
  const m = /compatibility_flags\s*=\s*\[([^\]]*)\]/.exec(readFileSync(configPath, "utf8"));
  return m?.[1] ? [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1] as string) : [];
}

export interface WorkerdConfig {
  /** folder holding the bundle (index.js and any other modules) */
  bundleDir: string;
  host: string;
  port: number;
  /** Durable Object storage on local disk; omit for a stateless worker */
  dataDir?: string;
  /** Durable Object classes exported by the bundle, bound under these names */
  durableObjects?: Record<string, string>;
  /** settings read from the process environment at start (secrets never written to the config) */
  fromEnvironment?: readonly string[];
  /** plain text settings written into the config */
  text?: Record<string, string>;
  configPath?: string;
  wranglerConfig?: string;
  /** a folder served to the Worker as its ASSETS binding (the dashboard's dashboard/dist), read-only */
  assetsDir?: string;
  /** more Workers in the same workerd process, each on its own socket (bench tooling, never the gateway) */
  sidecars?: readonly Sidecar[];
}

/** A Worker beside the gateway that may bind the gateway's Durable Object classes (same storage, same actors). */
export interface Sidecar {
  /** service and socket name (not "main") */
  name: string;
  /** folder holding its bundle */
  bundleDir: string;
  port: number;
  /** binding name → a Durable Object class the main Worker exports */
  mainDurableObjects?: Record<string, string>;
  text?: Record<string, string>;
}

function capnpString(s: string): string {
  return JSON.stringify(s);
}

function modulesOf(bundleDir: string, file: string): string[] {
  return readdirSync(bundleDir)
    .filter((f) => f.endsWith(".js") || f.endsWith(".mjs"))
    .map((f) => `(name = ${capnpString(f)}, esModule = embed ${capnpString(relative(dirname(file), join(bundleDir, f)))})`);
}

export function writeConfig(c: WorkerdConfig, file: string): void {
  const modules = modulesOf(c.bundleDir, file);
  const wranglerConfig = c.wranglerConfig ?? join(ROOT, "wrangler.toml");
  const compat = [
    `compatibilityDate = ${capnpString(compatibilityDate(wranglerConfig))}`,
    `compatibilityFlags = [ ${compatibilityFlags(wranglerConfig).map(capnpString).join(", ")} ]`,
  ];
  const dos = Object.entries(c.durableObjects ?? {});
  const bindings = [
    ...dos.map(([binding, cls]) => `(name = ${capnpString(binding)}, durableObjectNamespace = ${capnpString(cls)})`),
    ...(c.fromEnvironment ?? []).map((n) => `(name = ${capnpString(n)}, fromEnvironment = ${capnpString(n)})`),
    ...Object.entries(c.text ?? {}).map(([n, v]) => `(name = ${capnpString(n)}, text = ${capnpString(v)})`),
    // Workers static assets have no plain-workerd form; a disk service answers the same GETs by path.
    ...(c.assetsDir ? [`(name = "ASSETS", service = "assets")`] : []),
  ];
  const services = [
    `(name = "main", worker = .mainWorker)`,
    `(name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true)))`,
  ];
  if (c.assetsDir) services.push(`(name = "assets", disk = (path = ${capnpString(resolve(c.assetsDir))}, writable = false))`);
  if (c.dataDir) {
    mkdirSync(c.dataDir, { recursive: true });
    services.push(`(name = "do-disk", disk = (path = ${capnpString(resolve(c.dataDir))}, writable = true))`);
  }
  const sockets = [`(name = "http", address = ${capnpString(hostPort(c.host, c.port))}, http = (), service = "main")`];
  for (const sc of c.sidecars ?? []) {
    const scBindings = [
      ...Object.entries(sc.mainDurableObjects ?? {}).map(
        ([binding, cls]) => `(name = ${capnpString(binding)}, durableObjectNamespace = (className = ${capnpString(cls)}, serviceName = "main"))`,
      ),
      ...Object.entries(sc.text ?? {}).map(([n, v]) => `(name = ${capnpString(n)}, text = ${capnpString(v)})`),
    ];
    services.push(
      `(name = ${capnpString(sc.name)}, worker = (modules = [ ${modulesOf(sc.bundleDir, file).join(", ")} ], ${compat.join(", ")}, bindings = [ ${scBindings.join(", ")} ]))`,
    );
    sockets.push(`(name = ${capnpString(sc.name)}, address = ${capnpString(hostPort(c.host, sc.port))}, http = (), service = ${capnpString(sc.name)})`);
  }
  const worker = [
    `modules = [ ${modules.join(", ")} ]`,
    ...compat,
    `bindings = [ ${bindings.join(", ")} ]`,
    `globalOutbound = "internet"`,
  ];
  if (dos.length) {
    worker.push(
      `durableObjectNamespaces = [ ${dos.map(([, cls]) => `(className = ${capnpString(cls)}, uniqueKey = ${capnpString(`freeway-${cls}`)}, enableSql = true)`).join(", ")} ]`,
    );
    worker.push(c.dataDir ? `durableObjectStorage = (localDisk = "do-disk")` : `durableObjectStorage = (inMemory = void)`);
  }
  const text = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ ${services.join(",\n    ")} ],
  sockets = [ ${sockets.join(",\n    ")} ],
);
const mainWorker :Workerd.Worker = (
  ${worker.join(",\n  ")},
);
`;
  writeFileSync(file, text);
}

export function workerdBinary(): string {
  return packageFile("workerd", "bin/workerd");
}

/**
 * Start workerd on a config; resolves once it accepts HTTP on host:port. `onOutput`: also hand what it writes
 * (uncaught exceptions, the Worker's logs) to the caller, still passed through.
 */
export async function startWorkerd(
  configFile: string,
  host: string,
  port: number,
  env: NodeJS.ProcessEnv = process.env,
  onOutput?: (text: string) => void,
): Promise<ChildProcess> {
  const stdio = onOutput ? "pipe" : "inherit";
  const child = spawn(workerdBinary(), ["serve", configFile], { env, stdio: ["ignore", stdio, stdio] });
  child.stdout?.on("data", (d: Buffer) => {
    process.stdout.write(d);
    onOutput?.(d.toString());
  });
  child.stderr?.on("data", (d: Buffer) => {
    process.stderr.write(d);
    onOutput?.(d.toString());
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited with code ${child.exitCode}`);
    try {
      // A port held by something that never answers must not hold this up for good.
      await fetch(`http://${hostPort(host, port)}/health`, { signal: AbortSignal.timeout(2000) });
      return child;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error("workerd did not start listening within 20 s");
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export const GATEWAY_DURABLE_OBJECTS = {
  MODEL_ACTOR: "ModelActor",
  POOL_ACTOR: "PoolActor",
  CLIENT_LIMITER: "ClientLimiter",
  KEY_REGISTRY: "KeyRegistry",
  RESPONSE_STORE: "ResponseStore",
  REQUEST_LEDGER: "RequestLedger",
  AUDIT_LOG: "AuditLog",
};
