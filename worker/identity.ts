// Who is calling: the gateway key presented (by its hash, never the key) or, anonymously, the client's address.
// This identity owns stored objects (responses) and is what the client limiters count.

import { sha256HexMemo } from "../shared/hash.ts";
import type { Env } from "./env.ts";

/** The token a caller presented, as `Authorization: Bearer …` or `x-api-key`. */
export function presentedToken(request: Request): string | null {
  const auth = request.headers.get("authorization");
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, "").trim() || null;
  return request.headers.get("x-api-key")?.trim() || null;
}

/**
 * The client's address: Cloudflare's CF-Connecting-IP (set by the edge, not the client), or the first hop of
 * X-Forwarded-For when the operator says a trusted proxy sets it (self-hosting behind nginx and the like).
 */
export function clientAddress(request: Request, env: Env): string {
  const cf = request.headers.get("cf-connecting-ip");
  if (cf) return cf.trim();
  if (env.TRUST_FORWARDED_FOR === "true" || env.TRUST_FORWARDED_FOR === "1") {
    const first = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (first) return first;
  }
  return "unknown";
}

/**
 * A stable, secret-free id for the caller (never the token or the address itself). Once admitted, it is the
 * identity its limiter counts: the gateway key, or — for a token that is no key, in open mode — the address, so
 * callers sharing a placeholder token ("EMPTY") never share anything.
 */
export async function callerId(request: Request, env?: Env): Promise<string> {
  const gate = (request as Request & { gate?: { limiter: string; settled?: { ok: boolean } } }).gate;
  if (gate?.settled?.ok) return gate.limiter;
  const token = presentedToken(request);
  if (token) return `token:${(await sha256HexMemo(token)).slice(0, 32)}`;
  return env ? `ip:${(await sha256HexMemo(clientAddress(request, env))).slice(0, 32)}` : "anonymous";
}
