// Reading a JSON request body safely: size, media type, UTF-8, syntax, depth and array length — each failure a
// clear 4xx. The client's admission (started as the request arrived) is settled here, after the body is in.

import type { KeyRecord } from "../shared/access.ts";
import { admitRequest } from "./access.ts";
import { HttpError } from "./errors.ts";
import type { RequestLog } from "./ledger.ts";

/** Strict UTF-8: invalid bytes are the caller's error, not characters to guess at. One decoder per isolate. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Deeper than any real request (a JSON schema inside response_format is the deepest, ~20). */
export const MAX_JSON_DEPTH = 64;
/** Longer than any real list (messages are capped at 2,048, embedding inputs at 2,048). */
export const MAX_JSON_ARRAY = 10_000;

function tooLarge(size: number, maxBytes: number): HttpError {
  return new HttpError(413, `The request body is ${size} bytes; the limit is ${maxBytes}`, { code: "request_too_large" });
}

/** The body stopped at this many bytes: more than allowed, and no more is read. */
class Oversize {
  constructor(readonly atLeast: number) {}
}

/**
 * A body sent without a Content-Length (chunked), read with a running count: past `maxBytes` reading stops, rather
 * than buffering whatever the client keeps sending before the size is checked.
 */
async function readBounded(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<ArrayBuffer | Oversize> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => undefined);
      return new Oversize(size);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out.buffer;
}

/** Walk the parsed value without recursion (a hostile body can nest a million levels). */
function checkShape(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new HttpError(400, `The request body nests deeper than ${MAX_JSON_DEPTH} levels`, { code: "invalid_json" });
    }
    if (Array.isArray(v)) {
      if (v.length > MAX_JSON_ARRAY) {
        throw new HttpError(400, `The request body has an array of ${v.length} items; the limit is ${MAX_JSON_ARRAY}`, { code: "invalid_json" });
      }
      for (const item of v) if (typeof item === "object" && item !== null) stack.push([item, depth + 1]);
    } else {
      for (const key in v) {
        const item = (v as Record<string, unknown>)[key];
        if (typeof item === "object" && item !== null) stack.push([item, depth + 1]);
      }
    }
  }
}

/**
 * `presumed`: the caller may go ahead on the admission its limiter last gave it (access.ts `presume`); the answer
 * is then awaited later, before anything goes upstream — or here, when the body is refused, so that a caller out of
 * allowance still hears that first.
 */
export async function readJson(request: Request, maxBytes: number, presumed?: { key: KeyRecord | null }): Promise<unknown> {
  let problem: HttpError | null = null;
  let bytes: ArrayBuffer | null = null;
  const length = request.headers.get("content-length");
  const declared = length === null ? Number.NaN : Number(length);
  const type = request.headers.get("content-type");
  const encoding = request.headers.get("content-encoding")?.trim().toLowerCase();
  const charset = type === null || !type.includes(";") ? "" : (/;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1] ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) problem = tooLarge(declared, maxBytes);
  else if (encoding && encoding !== "identity") {
    problem = new HttpError(415, `Content-Encoding '${encoding.slice(0, 40)}' is not supported; send the body uncompressed`, { code: "unsupported_media_type" });
  } else if (type !== null && !/^application\/(.+\+)?json\b/i.test(type.trim()) && !/^text\/plain\b/i.test(type.trim())) {
    problem = new HttpError(415, `Content-Type must be application/json, got '${type.slice(0, 80)}'`, { code: "unsupported_media_type" });
  } else if (charset !== "" && !/^utf-?8$/i.test(charset)) {
    // JSON is UTF-8 (RFC 8259): a body in another charset would be read as garbage.
    problem = new HttpError(415, `The body must be UTF-8, got charset '${charset.slice(0, 40)}'`, { code: "unsupported_media_type" });
  } else {
    try {
      // A declared length is enforced by the runtime; an undeclared one is counted as it comes.
      const read = Number.isFinite(declared) || !request.body ? await request.arrayBuffer() : await readBounded(request.body, maxBytes);
      if (read instanceof Oversize) problem = tooLarge(read.atLeast, maxBytes);
      else bytes = read;
    } catch {
      problem = new HttpError(400, "The request body could not be read", { code: "invalid_body" });
    }
  }
  // Who is asking comes first: a caller without a valid key or out of allowance hears that, not a body problem.
  const key = presumed && !problem ? presumed.key : await admitRequest(request);
  const log = (request as Request & { log?: RequestLog }).log;
  if (log) log.record.key = key?.id ?? null;
  if (problem) throw problem;
  if (!presumed) return parseBody(bytes, maxBytes, log);
  try {
    return parseBody(bytes, maxBytes, log);
  } catch (e) {
    await admitRequest(request);
    throw e;
  }
}

function parseBody(bytes: ArrayBuffer | null, maxBytes: number, log: RequestLog | undefined): unknown {
  if (bytes === null || bytes.byteLength === 0) throw new HttpError(400, "The request body is empty; send a JSON object", { code: "invalid_json" });
  if (bytes.byteLength > maxBytes) throw tooLarge(bytes.byteLength, maxBytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, "The request body is not valid UTF-8", { code: "invalid_encoding" });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof SyntaxError ? `: ${e.message.slice(0, 200)}` : "";
    throw new HttpError(400, `The request body is not valid JSON${detail}`, { code: "invalid_json" });
  }
  checkShape(value);
  if (log && typeof value === "object" && value !== null && typeof (value as { model?: unknown }).model === "string") {
    log.record.requested = ((value as { model: string }).model).slice(0, 200);
  }
  return value;
}
