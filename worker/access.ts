// Admitting the client: gateway key or (open mode) client address → its ClientLimiter, one call that both
// authenticates and counts. The call starts as the request arrives and runs while the body is read.

import type { AnonPolicy, ClientAdmission, KeyRecord } from "../shared/access.ts";
import type { ModelSpec, PresetSpec } from "../shared/catalog/types.ts";
import { fitsPreset } from "./candidates.ts";
import { sha256HexMemo } from "../shared/hash.ts";
import type { TakeRequest } from "../objects/client-limiter.ts";
import { limiterName } from "../objects/key-registry.ts";
import { answerOf, askFor, awaitCredit, clientKey, creditOf, creditPending, demandFor, drop, dropAll, endedSince, hasCredit, hold, type Leftover, renewIn, since, spend } from "./credits.ts";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import { clientAddress, presentedToken } from "./identity.ts";
import { settingsFor } from "./settings.ts";
import { countRpc } from "./stats.ts";

export type AccessMode = "keys" | "open";

export function accessMode(env: Env): AccessMode {
  return env.ACCESS === "open" ? "open" : "keys"; // closed unless the operator opens it
}

function positive(raw: unknown, fallback: number): number {
  const n = typeof raw === "string" || typeof raw === "number" ? Number(raw) : NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function anonPolicy(env: Env): AnonPolicy {
  return { burst: positive(env.ANON_BURST, 10), perMinute: positive(env.ANON_RPM, 20) };
}

/** The admission of one request, started early and awaited where it matters. */
export interface Gate {
  /** the limiter that counted this request */
  limiter: string;
  admission: Promise<ClientAdmission>;
  /** set once `admission` has settled (for the response headers) */
  settled?: ClientAdmission;
  /** actor calls this admission made (for the x-freeway-rpcs count) */
  rpcs: number;
  /** the request went ahead on a presumed admission (`presume`) while this one was still being decided */
  presumed?: boolean;
}

/**
 * What this isolate last heard from each limiter that admitted a caller: the key's record and the allowance left
 * then, less the requests that went ahead on that word since. ARCHITECTURE.md asks for one sequential round of
 * actor calls per request: a caller with room to spare has its limiter's answer awaited just before the first call
 * upstream, while the model auction runs, instead of before it. The limiter still decides every request; a
 * presumption it overturns costs a released reservation, never a provider call or a count.
 */
const lastAdmitted = new Map<string, { key: KeyRecord | null; remaining: number; unlimited: boolean; ahead: number }>();
/** Requests a caller may still have in hand before presuming stops: a caller near its limit waits for its answer. */
const PRESUME_MARGIN = 2;

/**
 * The admission a request may go ahead on before its limiter answers: the record of the key it was last admitted
 * with, or undefined when it must wait (first request, near its limit, last refused, or already decided).
 */
export function presume(gate: Gate | undefined): { key: KeyRecord | null } | undefined {
  if (!gate || gate.settled || gate.presumed) return undefined;
  const last = lastAdmitted.get(gate.limiter);
  if (!last || (!last.unlimited && last.remaining - last.ahead < PRESUME_MARGIN)) return undefined;
  last.ahead++;
  gate.presumed = true;
  return { key: last.key };
}

/** Hashes of keys nobody registered, briefly: a caller cycling random keys costs no actor calls. */
const unknownKeys = new Map<string, number>();
const UNKNOWN_TTL_MS = 60_000;

/** Tokens used by finished requests, per limiter, carried by that client's next request (or sent after 100 ms). */
const pendingTokens = new Map<string, { env: Env; tokens: number }>();
let flushing: Promise<void> | null = null;

function takeTokens(limiter: string): number | undefined {
  const p = pendingTokens.get(limiter);
  if (!p) return undefined;
  pendingTokens.delete(limiter);
  return p.tokens;
}

/** Charge a key's daily token quota with what a request really used. */
export function chargeTokens(env: Env, ctx: ExecutionContext, gate: Gate, tokens: number): void {
  if (!gate.settled?.ok || !gate.settled.key?.quota.tpd || tokens <= 0) return;
  const p = pendingTokens.get(gate.limiter);
  if (p) p.tokens += tokens;
  else pendingTokens.set(gate.limiter, { env, tokens });
  if (flushing) return;
  // The timer is over once it fires: tokens charged while that flush is on its way start the next one.
  flushing = new Promise<void>((resolve) => setTimeout(resolve, 100)).then(async () => {
    flushing = null;
    const batch = [...pendingTokens.entries()];
    pendingTokens.clear();
    countRpc(batch.length);
    await Promise.all(batch.map(([name, q]) => q.env.CLIENT_LIMITER.getByName(name).charge(q.tokens).catch(() => undefined)));
  });
  ctx.waitUntil(flushing);
}

/**
 * Start admitting a request. `requireKey`: this route needs a gateway key in keys mode (the APIs that spend
 * provider quota); public read routes admit anonymous callers under the anonymous allowance.
 */
export async function openGate(request: Request, env: Env, ctx: ExecutionContext, requireKey: boolean): Promise<Gate> {
  const open = accessMode(env) === "open";
  const token = presentedToken(request);
  if (token) {
    const hash = await sha256HexMemo(token);
    const limiter = limiterName(hash);
    const unknownUntil = unknownKeys.get(hash);
    if (unknownUntil === undefined || unknownUntil <= Date.now()) {
      const onCredit = await creditGate(env, ctx, limiter, KEY_TAKE);
      if (onCredit) return onCredit;
      const asKey = takeFor(env, ctx, limiter, KEY_TAKE);
      // Settled once, below (not by `track`, which would count the answer twice).
      const gate: Gate = { limiter, admission: asKey, rpcs: 1 };
      gate.admission = asKey.then(async (a) => {
        if (a.ok || a.cause !== "unknown_key") return settle(gate, a);
        if (unknownKeys.size > 10_000) unknownKeys.clear();
        unknownKeys.set(hash, Date.now() + UNKNOWN_TTL_MS);
        // Open mode: a token that is no gateway key (SDKs always send one) is an anonymous caller.
        if (!open) return settle(gate, a);
        const anon = await anonymousGate(request, env, ctx);
        gate.limiter = anon.limiter;
        gate.rpcs += anon.rpcs;
        return settle(gate, await anon.admission);
      });
      return gate;
    }
    if (!open) return { limiter, admission: Promise.resolve(refusedKey), settled: refusedKey, rpcs: 0 };
  } else if (requireKey && !open) {
    throw new HttpError(401, "This gateway needs a key: send it as 'Authorization: Bearer <key>' or 'x-api-key'.", {
      code: "missing_api_key",
    });
  }
  return anonymousGate(request, env, ctx);
}

/** The allowance of an anonymous caller: one limiter per client address. */
async function anonymousGate(request: Request, env: Env, ctx: ExecutionContext): Promise<Gate> {
  const limiter = `ip:${await sha256HexMemo(clientAddress(request, env))}`;
  const take: TakeRequest = { kind: "ip", policy: anonPolicy(env) };
  return (await creditGate(env, ctx, limiter, take)) ?? track(limiter, takeFor(env, ctx, limiter, take));
}

const KEY_TAKE: TakeRequest = { kind: "key" };

/** The admission each client's credit came with (the key's record and limits), by limiter. */
const creditAdmissions = new Map<string, Extract<ClientAdmission, { ok: true }>>();

/**
 * Ask the client's limiter to count this request; a busy client's also asks for credit (worker/credits.ts). A
 * request refused for its rate while this isolate holds (or is being granted) credit for the client is admitted
 * on that credit: it was counted for this isolate's requests.
 */
function takeFor(env: Env, ctx: ExecutionContext, limiter: string, take: TakeRequest): Promise<ClientAdmission> {
  const key = clientKey(limiter);
  const creditMs = settingsFor(env).creditMs;
  const want = creditMs > 0 ? demandFor(key) : 0;
  const credit = askFor(key, want);
  countRpc();
  const asked = since(key);
  const call = env.CLIENT_LIMITER.getByName(limiter).take({ ...take, tokens: takeTokens(limiter), credit }) as Promise<ClientAdmission>;
  const answer = credit
    ? answerOf(
        key,
        call.then((a) => {
          if (a.ok && a.credit) keepCredit(env, ctx, limiter, take, a, creditMs, asked);
          return a;
        }),
      )
    : call;
  if (creditMs <= 0) return answer;
  return answer.then(async (a) => {
    if (a.ok || (a.cause !== "rate" && a.cause !== "daily_requests") || !(await awaitCredit(key))) return a;
    return spendClientCredit(env, ctx, limiter, take, want) ?? a;
  });
}

function keepCredit(
  env: Env,
  ctx: ExecutionContext,
  limiter: string,
  take: TakeRequest,
  a: Extract<ClientAdmission, { ok: true }>,
  creditMs: number,
  asked: string,
): void {
  if (!a.credit) return;
  const key = clientKey(limiter);
  // Revoked or changed here since it was asked for: the grant goes back, and the record it came with is old.
  if (!endedSince(key, asked)) {
    if (creditAdmissions.size >= 10_000 && !creditAdmissions.has(limiter)) creditAdmissions.clear();
    creditAdmissions.set(limiter, a);
  }
  const refund = (left: Leftover): Promise<unknown> => env.CLIENT_LIMITER.getByName(limiter).refund(take, left);
  hold(key, a.credit, refund, (p) => ctx.waitUntil(p), creditMs, asked);
}

/**
 * Admit the request on credit its limiter granted this isolate, when there is some (or some is on its way,
 * asked for by another request): no actor call.
 */
async function creditGate(env: Env, ctx: ExecutionContext, limiter: string, take: TakeRequest): Promise<Gate | undefined> {
  const key = clientKey(limiter);
  if (!hasCredit(key) && !(creditPending(key) && (await awaitCredit(key)))) return undefined;
  const settled = spendClientCredit(env, ctx, limiter, take, demandFor(key));
  return settled && { limiter, admission: Promise.resolve(settled), settled, rpcs: 0 };
}

/**
 * Spend one of a client's credited admissions, if there is one. Credit running low is renewed in the
 * background; a renewal that finds the key revoked ends it.
 */
function spendClientCredit(env: Env, ctx: ExecutionContext, limiter: string, take: TakeRequest, want: number): ClientAdmission | undefined {
  const key = clientKey(limiter);
  const a = creditAdmissions.get(limiter);
  if (!a || !hasCredit(key)) return undefined;
  if (spend(key)) {
    const creditMs = settingsFor(env).creditMs;
    renewIn(
      key,
      want,
      () => {
        const asked = since(key);
        return (env.CLIENT_LIMITER.getByName(limiter).renew({ ...take, tokens: takeTokens(limiter), credit: want }) as Promise<ClientAdmission>).then((r) => {
          if (r.ok) keepCredit(env, ctx, limiter, take, r, creditMs, asked);
          else if (r.cause !== "rate") return forgetClient(limiter);
          return undefined;
        });
      },
      (p) => ctx.waitUntil(p),
    );
  }
  return a.limit > 0 ? { ...a, remaining: a.remaining + (creditOf(key)?.requests ?? 0) } : a;
}

/** End a client's credit in this isolate (its key was revoked or changed here); what it held goes back. */
function forgetClient(limiter: string): Promise<unknown> | undefined {
  creditAdmissions.delete(limiter);
  return drop(clientKey(limiter));
}

/**
 * An operator changed or revoked a key: this isolate stops admitting any client on credit, so the change holds
 * from the very next request here (other isolates' credit lapses within CREDIT_MS).
 */
export async function forgetClientCredit(): Promise<void> {
  creditAdmissions.clear();
  await dropAll("c:");
}

function settle(gate: Gate, a: ClientAdmission): ClientAdmission {
  gate.settled = a;
  const last = lastAdmitted.get(gate.limiter);
  const ahead = Math.max(0, (last?.ahead ?? 0) - (gate.presumed ? 1 : 0));
  if (a.ok) {
    if (lastAdmitted.size >= 10_000 && !last) lastAdmitted.clear();
    lastAdmitted.set(gate.limiter, { key: a.key, remaining: a.remaining, unlimited: a.limit <= 0, ahead });
  } else lastAdmitted.delete(gate.limiter);
  return a;
}

function track(limiter: string, pending: Promise<ClientAdmission>): Gate {
  const gate: Gate = { limiter, admission: pending, rpcs: 1 };
  gate.admission = pending.then((a) => settle(gate, a));
  return gate;
}

const refusedKey: ClientAdmission = { ok: false, cause: "unknown_key", limit: 0, remaining: 0, resetMs: 0, retryAfterMs: 0 };

/** A request as the router leaves it: the gate it opened (only routes under /v1/ have one). */
export type GatedRequest = Request & { gate?: Gate };

/** Settle the request's admission (if it has one): its key's record, or the 401/429 the caller gets. */
export async function admitRequest(request: Request): Promise<KeyRecord | null> {
  const gate = (request as GatedRequest).gate;
  return gate ? admitted(gate) : null;
}

/** The key a request was admitted with, once admitted. */
export function keyOf(request: Request): KeyRecord | null {
  const a = (request as GatedRequest).gate?.settled;
  return a?.ok ? a.key : null;
}

/** Wait for the admission; a refusal becomes the 401 or 429 the caller gets. Returns the key's record, if any. */
export async function admitted(gate: Gate): Promise<KeyRecord | null> {
  const a = await gate.admission;
  if (a.ok) return a.key;
  switch (a.cause) {
    case "unknown_key":
      throw new HttpError(401, "The API key is not valid.", { code: "invalid_api_key" });
    case "revoked":
      throw new HttpError(401, "The API key has been revoked.", { code: "invalid_api_key" });
    default: {
      const what = a.cause === "rate" ? "requests per minute" : a.cause === "daily_requests" ? "requests per day" : "tokens per day";
      throw new HttpError(429, `Rate limit reached for this client (${what}); retry after the Retry-After delay.`, {
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
        headers: { "retry-after": String(Math.max(1, Math.ceil(a.retryAfterMs / 1000))) },
      });
    }
  }
}

/** X-RateLimit-* for every response that went through a limiter. */
export function rateLimitHeaders(gate: Gate | undefined): Record<string, string> {
  const a = gate?.settled;
  if (!a || (!a.ok && (a.cause === "unknown_key" || a.cause === "revoked")) || a.limit <= 0) return {};
  return {
    "x-ratelimit-limit": String(a.limit),
    "x-ratelimit-remaining": String(Math.max(0, a.remaining)),
    "x-ratelimit-reset": String(Math.ceil(a.resetMs / 1000)),
  };
}

/**
 * Whether a key's model allow-list lets it use a model: exact ids, "provider/*", family aliases, and presets
 * ("auto:fast": every chat model that preset routes to). Any name may be asked for; what it resolves to is
 * filtered by this.
 */
export function allows(key: KeyRecord | null, m: ModelSpec, presets?: ReadonlyMap<string, PresetSpec>): boolean {
  if (!key?.models) return true;
  return key.models.some((p) => {
    if (p === m.id || p === `${m.provider}/*` || (m.family !== undefined && p === m.family)) return true;
    const preset = presets?.get(p);
    return preset !== undefined && m.kind === "chat" && fitsPreset(m, preset);
  });
}
