// Exit codes scripts can rely on, and the errors that map onto them (the CLI's one error path is in main.ts).

export const EXIT = {
  ok: 0,
  /** the gateway refused or failed the request (a tRPC error: NOT_FOUND, BAD_REQUEST, …) */
  refused: 1,
  /** unknown command or flag, missing or bad value */
  usage: 2,
  /** no answer from the gateway: connection refused, DNS, timeout */
  unreachable: 3,
  /** the admin API said 401 or 403: wrong or missing token, or the admin API is disabled */
  unauthorised: 4,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  the gateway refused or failed the request (message on stderr, e.g. NOT_FOUND)
  2  usage error: unknown command or flag, missing or bad value
  3  cannot reach the gateway
  4  unauthorised: wrong or missing admin token, or the admin API is disabled`;

/** The command line itself is wrong; nothing was sent. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The gateway did not answer at all. */
export class Unreachable extends Error {
  override name = "Unreachable";
}

/** The admin API refused the token (401) or is disabled (403). */
export class Unauthorised extends Error {
  override name = "Unauthorised";
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** The gateway answered with something other than the admin API (an HTTP error outside tRPC). */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** A tRPC error as the client sees it: its code ("NOT_FOUND") and message. */
interface ServerError {
  message: string;
  data?: { code?: unknown } | null;
  cause?: unknown;
}

function isServerError(e: unknown): e is ServerError & Error {
  return e instanceof Error && e.name === "TRPCClientError";
}

/** zod's input errors arrive as a JSON list of issues; one line each reads better. */
function readable(message: string): string {
  if (!message.startsWith("[")) return message;
  try {
    const issues = JSON.parse(message) as Array<{ path?: unknown[]; message?: string }>;
    return issues.map((i) => `${(i.path ?? []).join(".") || "input"}: ${i.message ?? "invalid"}`).join("; ");
  } catch {
    return message;
  }
}

/** The transport's own errors travel as the tRPC error's cause; this is the error that matters. */
export function unwrap(e: unknown): unknown {
  return isServerError(e) && e.cause instanceof Error ? e.cause : e;
}

/** What to print and which code to exit with, for anything a command threw. */
export function classify(e: unknown): { code: number; message: string } {
  const inner = unwrap(e);
  if (inner instanceof UsageError) return { code: EXIT.usage, message: inner.message };
  if (inner instanceof Unreachable) return { code: EXIT.unreachable, message: inner.message };
  if (inner instanceof Unauthorised) return { code: EXIT.unauthorised, message: `unauthorised (HTTP ${inner.status}): ${inner.message}` };
  if (inner instanceof GatewayError) return { code: EXIT.refused, message: `the gateway answered HTTP ${inner.status}: ${inner.message}` };
  if (isServerError(e)) {
    const code = typeof e.data?.code === "string" ? ` (${e.data.code})` : "";
    return { code: EXIT.refused, message: `${readable(e.message)}${code}` };
  }
  return { code: EXIT.refused, message: e instanceof Error ? e.message : String(e) };
}
