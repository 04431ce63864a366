// /admin/trpc: the admin API, behind ADMIN_TOKEN (compared in constant time). Without a token it is off, not open.

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { sha256Hex } from "../../shared/hash.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { presentedToken } from "../identity.ts";
import { appRouter } from "./router.ts";

const encoder = new TextEncoder();

/** Equal strings, compared without leaking where they differ (hashing first makes the lengths equal). */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([sha256Hex(a), sha256Hex(b)]);
  return crypto.subtle.timingSafeEqual(encoder.encode(ha), encoder.encode(hb));
}

export async function adminTrpc(request: Request, env: Env): Promise<Response> {
  // A secret set with `echo … | wrangler secret put` ends in a line break; the presented token is trimmed too.
  const token = typeof env.ADMIN_TOKEN === "string" ? env.ADMIN_TOKEN.trim() : "";
  if (token === "") {
    throw new HttpError(403, "The admin API is disabled: set ADMIN_TOKEN to enable it.", { type: "permission_error", code: "admin_disabled" });
  }
  const presented = presentedToken(request);
  if (!presented || !(await sameSecret(presented, token))) {
    throw new HttpError(401, "The admin token is missing or wrong.", { code: "invalid_admin_token" });
  }
  const operator = request.headers.get("x-freeway-operator")?.replace(/[^\w .@-]/g, "").slice(0, 60) || "admin";
  // Queries may come as POST (the admin client sends them so: a chat body to explain does not fit in a URL).
  return fetchRequestHandler({ endpoint: "/admin/trpc", req: request, router: appRouter, allowMethodOverride: true, createContext: () => ({ env, operator }) });
}
