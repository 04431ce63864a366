// Reading a JSON request body safely: size limit, UTF-8, JSON syntax — each failure a clear 4xx.

import { HttpError } from "./errors.ts";

/** Strict UTF-8: invalid bytes are the caller's error, not characters to guess at. One decoder per isolate. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpError(413, `The request body is ${declared} bytes; the limit is ${maxBytes}`, { code: "request_too_large" });
  }
  const type = request.headers.get("content-type");
  if (type !== null && !/^application\/(.+\+)?json\b/i.test(type.trim()) && !/^text\/plain\b/i.test(type.trim())) {
    throw new HttpError(415, `Content-Type must be application/json, got '${type.slice(0, 80)}'`, { code: "unsupported_media_type" });
  }
  let bytes: ArrayBuffer;
  try {
    bytes = await request.arrayBuffer();
  } catch {
    throw new HttpError(400, "The request body could not be read", { code: "invalid_body" });
  }
  if (bytes.byteLength > maxBytes) {
    throw new HttpError(413, `The request body is ${bytes.byteLength} bytes; the limit is ${maxBytes}`, { code: "request_too_large" });
  }
  if (bytes.byteLength === 0) throw new HttpError(400, "The request body is empty; send a JSON object", { code: "invalid_json" });
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, "The request body is not valid UTF-8", { code: "invalid_encoding" });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const detail = e instanceof SyntaxError ? `: ${e.message.slice(0, 200)}` : "";
    throw new HttpError(400, `The request body is not valid JSON${detail}`, { code: "invalid_json" });
  }
}
