// The fetch the admin client uses: it turns "no answer" and "not allowed" into errors of their own (exit 3 and
// 4), and an HTTP error from outside the admin API into a readable one, before tRPC sees the response.

import { GatewayError, Unauthorised, Unreachable } from "./errors.ts";

/** The message of an OpenAI-style error envelope, which the gateway answers outside tRPC. */
function envelopeMessage(body: unknown): string | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return null;
  const message = (error as { message?: unknown }).message;
  return typeof message === "string" ? message : null;
}

function reason(e: unknown): string {
  const cause = e instanceof Error ? (e.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === "string") return cause.code;
  if (e instanceof Error && e.name === "TimeoutError") return "no answer in time";
  return typeof cause?.message === "string" ? cause.message : e instanceof Error ? e.message : String(e);
}

export function guardedFetch(origin: string, timeoutMs: number, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await base(input, { ...init, signal });
    } catch (e) {
      // The caller's own abort is not the gateway's fault.
      if (init?.signal?.aborted) throw e;
      throw new Unreachable(`cannot reach the gateway at ${origin} (${reason(e)}); is it running? Set FREEWAY_URL or --url.`);
    }
    if (res.ok) {
      // tRPC always answers JSON: anything else (a web app's page on that port) is not freeway's admin API.
      if (/\bjson\b/i.test(res.headers.get("content-type") ?? "")) return res;
      await res.body?.cancel();
      throw new GatewayError(`the server at ${origin} is not a freeway admin API (it answered ${res.headers.get("content-type") || "no content type"}); check FREEWAY_URL or --url`, res.status);
    }
    const text = await res.clone().text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: not the admin API
    }
    // tRPC's batch answers are lists; anything else came from outside the admin API.
    if (Array.isArray(body)) return res;
    const message = envelopeMessage(body) ?? (text.trim().slice(0, 200) || res.statusText);
    if (res.status === 401 || res.status === 403) {
      throw new Unauthorised(`${message} (check FREEWAY_ADMIN_TOKEN or --token)`, res.status);
    }
    throw new GatewayError(message, res.status);
  };
}
