// `npm run serve`: the production bundle on plain workerd — no dev proxy, Durable Objects on local disk.
// Also the way to self-host freeway without a Cloudflare account. Settings come from environment variables.

import { join } from "node:path";
import { SETTINGS } from "../shared/settings.ts";
import { buildBundle, GATEWAY_DURABLE_OBJECTS, ROOT, startWorkerd, writeConfig } from "./lib/workerd.ts";
import { hostPort, portFree, portFrom, stopWithParent } from "./lib/process.ts";
import { printProblems } from "./lib/problems.ts";

/** A mistake in the setup: said in one line, no stack trace. */
function fail(message: string): never {
  console.error(`serve: ${message}`);
  process.exit(1);
}

const host = process.env.HOST || "127.0.0.1";
let port = 8787;
try {
  port = portFrom("PORT", 8787);
} catch (e) {
  fail((e as Error).message);
}
const dataDir = process.env.DATA_DIR ?? join(ROOT, ".freeway", "data");
const bundleDir = join(ROOT, "dist", "worker");
const configFile = join(ROOT, "dist", "workerd.capnp");

if (!(await portFree(host, port))) fail(`${hostPort(host, port)} is already in use (another gateway?): stop it, or set PORT`);
buildBundle(bundleDir);
try {
  writeConfig(
    {
      bundleDir,
      host,
      port,
      dataDir,
      durableObjects: GATEWAY_DURABLE_OBJECTS,
      // The dashboard at /dashboard: the build above (wrangler's [build] command) made dashboard/dist.
      assetsDir: join(ROOT, "dashboard", "dist"),
      // Secrets stay in the environment: the generated config only names them.
      fromEnvironment: SETTINGS.map((s) => s.name).filter((n) => process.env[n] !== undefined),
    },
    configFile,
  );
} catch (e) {
  fail(`cannot use DATA_DIR '${dataDir}': ${(e as Error).message}`);
}
let child: Awaited<ReturnType<typeof startWorkerd>>;
try {
  child = await startWorkerd(configFile, host, port);
} catch (e) {
  fail((e as Error).message);
}
const url = `http://${hostPort(host, port)}`;
console.log(`freeway (workerd) listening on ${url}  — state in ${dataDir}`);
await printProblems(url);
const stop = (): void => {
  child.kill("SIGTERM");
  process.exit(0);
};
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, stop);
stopWithParent(stop);
child.on("exit", (code) => process.exit(code ?? 0));
