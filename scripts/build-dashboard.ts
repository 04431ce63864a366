// `npm run build:dashboard`: the operator dashboard (dashboard/src) bundled by esbuild into dashboard/dist, which
// the Worker serves under /dashboard through its ASSETS binding. wrangler's [build] command runs this before
// `wrangler dev` and `wrangler deploy`; `npm test` and `npm start` run it first too.
//
// Everything the page loads is bundled from npm (no CDN: it works offline and on first load). Files are named by
// content hash so browsers may keep them forever, and a file is only rewritten when its bytes change: a rebuild
// with nothing new touches nothing, so a running `wrangler dev` sees no change and does not reload.

import { build } from "esbuild";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT } from "./lib/workerd.ts";

const SRC = join(ROOT, "dashboard", "src");
const OUT = join(ROOT, "dashboard", "dist");
/** The URL prefix the Worker serves the files under (worker/routes/dashboard.ts). */
const PREFIX = "/dashboard/";

const result = await build({
  entryPoints: { app: join(SRC, "main.tsx"), styles: join(SRC, "styles.css") },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  jsx: "automatic",
  jsxImportSource: "preact",
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  outdir: OUT,
  write: false,
  metafile: true,
  legalComments: "eof",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});

const files = new Map<string, Uint8Array>();
for (const f of result.outputFiles) files.set(basename(f.path), f.contents);
const script = [...files.keys()].find((n) => n.endsWith(".js"));
const style = [...files.keys()].find((n) => n.endsWith(".css"));
if (!script || !style) throw new Error(`the dashboard build made no script or stylesheet: ${[...files.keys()].join(", ")}`);

const html = readFileSync(join(SRC, "index.html"), "utf8").replace("%SCRIPT%", `${PREFIX}${script}`).replace("%STYLE%", `${PREFIX}${style}`);
files.set("index.html", new TextEncoder().encode(html));
files.set("icon.svg", readFileSync(join(SRC, "icon.svg")));

mkdirSync(OUT, { recursive: true });
let changed = 0;
for (const [name, bytes] of files) {
  const path = join(OUT, name);
  let old: Buffer | null = null;
  try {
    old = readFileSync(path);
  } catch {
    // new file
  }
  if (old && Buffer.compare(old, bytes) === 0) continue;
  writeFileSync(path, bytes);
  changed++;
}
// Old hashed bundles go; a stale file would still be served (and uploaded) otherwise.
for (const name of readdirSync(OUT)) {
  if (!files.has(name)) {
    rmSync(join(OUT, name), { force: true, recursive: true });
    changed++;
  }
}

const gz = [...files.values()].reduce((n, b) => n + gzipSync(b).length, 0);
if (!process.argv.includes("--quiet")) {
  console.log(`dashboard: ${files.size} files, ${(gz / 1024).toFixed(1)} KiB gzipped${changed ? "" : " (unchanged)"} → ${OUT}`);
}
