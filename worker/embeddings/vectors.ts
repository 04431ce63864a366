// Vectors in the two wire formats: JSON numbers, or base64 of little-endian float32 (OpenAI's `base64`).

import type { Vector } from "../adapters/types.ts";

/** How many values a vector holds, without decoding a base64 one. */
export function vectorLength(v: Vector): number {
  if (typeof v !== "string") return v.length;
  const pad = v.endsWith("==") ? 2 : v.endsWith("=") ? 1 : 0;
  return Math.floor(((v.length * 3) / 4 - pad) / 4);
}

export function toBase64(v: readonly number[]): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i] as number, true);
  let bin = "";
  // String.fromCharCode takes arguments; chunks keep the call under the engine's argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** base64 float32 → numbers; throws on input that is not base64 (the caller turns that into a broken answer). */
export function fromBase64(s: string): number[] {
  const bin = atob(s);
  const n = Math.floor(bin.length / 4);
  const view = new DataView(new ArrayBuffer(n * 4));
  for (let i = 0; i < n * 4; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** The vector in the format the caller asked for. */
export function inFormat(v: Vector, format: "float" | "base64"): number[] | string {
  if (format === "base64") return typeof v === "string" ? v : toBase64(v);
  return typeof v === "string" ? fromBase64(v) : v;
}
