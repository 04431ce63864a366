// Vectors in the two wire formats: JSON numbers, or base64 of little-endian float32 (OpenAI's `base64`).
//
// A batch of float vectors is most of an embeddings answer: 100 × 1,536 numbers are 3 MB of JSON, and parsing them
// and writing them out again costs tens of milliseconds of CPU — over a free Worker's whole budget. So lists of
// numbers are lifted out of the provider's text before it is parsed (checked against JSON's number grammar and
// counted, never converted), and spliced back into the answer as the provider wrote them.

import type { Vector } from "../adapters/types.ts";

/** A list of numbers kept as the provider's JSON text: valid JSON by construction, its values counted. */
export class RawFloats {
  constructor(
    readonly json: string,
    readonly length: number,
  ) {}
}

/** JSON's number grammar, and its whitespace (nothing wider). */
const NUM = "-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?";
const WS = "[ \\t\\n\\r]*";
/** A list of at least 64 numbers: shorter lists are not worth lifting and are left to the parser. */
const NUMBER_LIST = new RegExp(`\\[${WS}${NUM}(?:${WS},${WS}${NUM}){63,}${WS}\\]`, "g");
const MARK = "\u0000list";

/**
 * JSON.parse for an embeddings answer, with every long list of numbers as a RawFloats. Throws as JSON.parse does
 * on text that is not JSON.
 */
export function parseWithLists(text: string): unknown {
  const lists: RawFloats[] = [];
  const skeleton = text.replace(NUMBER_LIST, (list) => {
    let commas = 0;
    for (let i = list.indexOf(","); i !== -1; i = list.indexOf(",", i + 1)) commas++;
    lists.push(new RawFloats(list, commas + 1));
    return `{"\\u0000list":${lists.length - 1}}`;
  });
  if (lists.length === 0) return JSON.parse(text);
  try {
    return JSON.parse(skeleton, (_key, value: unknown) => {
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        const i = (value as Record<string, unknown>)[MARK];
        if (typeof i === "number") return lists[i];
      }
      return value;
    });
  } catch {
    // A "list" found inside a string broke the skeleton: the plain parser decides.
    return JSON.parse(text);
  }
}

/**
 * JSON.stringify of an answer whose vectors may be RawFloats: each goes out as the provider's own text. The
 * placeholder is a string with a NUL, which nothing else in an embeddings answer can contain.
 */
export function stringifyWithLists(body: unknown, lists: readonly RawFloats[]): string {
  const json = JSON.stringify(body);
  if (lists.length === 0) return json;
  return json.replace(/"\\u0000list:(\d+)"/g, (_m, i: string) => (lists[Number(i)] as RawFloats).json);
}

/** The placeholder `stringifyWithLists` replaces with `lists[i]`. */
export function listMark(i: number): string {
  return `${MARK}:${i}`;
}

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

/** The vector in the format the caller asked for (a float list the provider wrote stays as it wrote it). */
export function inFormat(v: Vector, format: "float" | "base64"): number[] | string | RawFloats {
  if (format === "base64") return typeof v === "string" ? v : toBase64(v instanceof RawFloats ? (JSON.parse(v.json) as number[]) : v);
  return typeof v === "string" ? fromBase64(v) : v;
}
