// The one error path: every failure the caller sees is an OpenAI-style envelope with a 4xx/5xx status.

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "upstream_error"
  | "service_unavailable"
  | "server_error";

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Thrown anywhere in request handling; the router's catch turns it into a response. */
export class HttpError extends Error {
  readonly status: number;
  readonly type: ErrorType | string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    opts: { type?: ErrorType | string; param?: string | null; code?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.type = opts.type ?? (status === 404 ? "not_found_error" : status >= 500 ? "server_error" : "invalid_request_error");
    this.param = opts.param ?? null;
    this.code = opts.code ?? null;
    this.headers = opts.headers ?? {};
  }
}

export function badRequest(message: string, param: string | null, code = "invalid_value"): HttpError {
  return new HttpError(400, message, { param, code });
}

export function errorBody(message: string, type: string, param: string | null = null, code: string | null = null): ErrorBody {
  return { error: { message, type, param, code } };
}

export function errorResponse(e: unknown, extraHeaders: Record<string, string> = {}): Response {
  if (e instanceof HttpError) {
    return Response.json(errorBody(e.message, e.type, e.param, e.code), {
      status: e.status,
      headers: { ...e.headers, ...extraHeaders },
    });
  }
  // Anything else is our bug: say so without leaking internals (no stack, no settings).
  console.error("unhandled error", e instanceof Error ? e.message : String(e));
  return Response.json(errorBody("Internal error in the gateway", "server_error", null, "internal_error"), {
    status: 500,
    headers: extraHeaders,
  });
}
