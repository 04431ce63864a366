// `npm run serve`: the production bundle on plain workerd — no dev proxy, Durable Objects on local disk.
// Also the way to self-host freeway without a Cloudflare account. Settings come from environment variables.

import { join } from "node:path";
import { SETTINGS } from "../shared/settings.ts";
import { buildBundle, GATEWAY_DURABLE_OBJECTS, ROOT, startWorkerd, writeConfig } from "./lib/workerd.ts";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
const dataDir = process.env.DATA_DIR ?? join(ROOT, ".freeway", "data");
const bundleDir = join(ROOT, "dist", "worker");
const configFile = join(ROOT, "dist", "workerd.capnp");

buildBundle(bundleDir);
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
const child = await startWorkerd(configFile, host, port);
console.log(`freeway (workerd) listening on http://${host}:${port}  — state in ${dataDir}`);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    child.kill("SIGTERM");
    process.exit(0);
  });
}
child.on("exit", (code) => process.exit(code ?? 0));
