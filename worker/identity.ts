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
 * The client's address, as the anonymous allowance counts it. On Cloudflare (the request carries its `cf`
 * object), CF-Connecting-IP, which the edge sets. Self-hosted there is no edge, and the header is whatever the
 * client wrote: then only X-Forwarded-For counts, when the operator says a trusted proxy sets it, and only its
 * last hop (what that proxy saw; hops before it are the client's to write).
 */
export function clientAddress(request: Request, env: Env): string {
  // The header first: reading `cf` costs about 30 µs of CPU in workerd (the object is built on every read), and a
  // self-hosted caller rarely sends the header.
  const edge = request.headers.get("cf-connecting-ip")?.trim();
  if (edge && (request as { cf?: unknown }).cf !== undefined) return network(edge);
  if (env.TRUST_FORWARDED_FOR === "true" || env.TRUST_FORWARDED_FOR === "1") {
    const last = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (last) return network(last);
  }
  return "unknown";
}

/**
 * The network an address stands for: an IPv4 address itself, an IPv6 one its /64 (one subscriber's network: any
 * host of it could send from a fresh address every time).
 */
export function network(address: string): string {
  const a = address.replace(/%.*$/, "").toLowerCase();
  if (!a.includes(":")) return a;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1] as string;
  const [head = "", tail] = a.split("::", 2);
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  const groups = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back];
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return a;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
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
