// GET /dashboard: the operator dashboard's files (dashboard/dist, built by scripts/build-dashboard.ts) through the
// ASSETS binding — Workers static assets on Cloudflare and under wrangler, a disk service under plain workerd
// (scripts/lib/workerd.ts). The Worker runs first for every path, so the API routes never meet the asset router.

import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

/** The page holds the admin token: it runs only its own bundled code, talks only to this origin, is never framed. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function notFound(path: string): HttpError {
  return new HttpError(404, `No dashboard file at ${path}`, { code: "not_found" });
}

export async function dashboard(req: Request, env: Env, path: string): Promise<Response> {
  const assets = env.ASSETS;
  if (!assets) throw new HttpError(404, "This deployment has no dashboard (no ASSETS binding).", { code: "not_found" });
  const rest = path.slice("/dashboard".length);
  const file = rest === "" || rest === "/" ? "index.html" : rest.slice(1);
  // The build writes one flat folder; anything else (sub-paths, dot files, "..") is not ours to serve.
  const ext = /^[\w-]+(?:\.[\w-]+)*\.(\w+)$/.exec(file)?.[1];
  const type = ext ? TYPES[ext] : undefined;
  if (!type) throw notFound(path);
  const conditional = req.headers.get("if-none-match");
  const res = await assets.fetch(new Request(new URL(`/${file}`, req.url), { headers: conditional ? { "if-none-match": conditional } : {} }));
  if (res.status === 404) {
    await res.body?.cancel();
    throw notFound(path);
  }
  const headers = new Headers({
    "content-type": type,
    // Bundles are named by content hash; the page itself must be fetched fresh to pick up a new build.
    "cache-control": ext === "html" ? "no-cache" : /-[A-Z0-9]{8}\.\w+$/.test(file) ? "public, max-age=31536000, immutable" : "public, max-age=3600",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
  const etag = res.headers.get("etag");
  if (etag) headers.set("etag", etag);
  if (ext === "html") {
    headers.set("content-security-policy", CSP);
    headers.set("x-frame-options", "DENY");
  }
  // Setting Content-Encoding makes the runtime compress the body on the way out (plain workerd as well as
  // Cloudflare), so the first load stays small wherever freeway runs.
  if (res.status === 200 && /\bgzip\b/.test(req.headers.get("accept-encoding") ?? "")) headers.set("content-encoding", "gzip");
  return new Response(res.status === 304 ? null : res.body, { status: res.status, headers });
}
