import { describe, expect, it } from "vitest";
import { fromBase64, inFormat, toBase64, vectorLength } from "../../worker/embeddings/vectors.ts";

describe("vector encodings", () => {
  it("round-trips base64 float32 (little-endian) at float32 precision", () => {
    const v = [0.1, -0.25, 3.5, 1e-8, -123.456];
    const b = toBase64(v);
    expect(fromBase64(b)).toEqual(v.map(Math.fround));
    expect(inFormat(b, "float")).toEqual(v.map(Math.fround));
    expect(inFormat(v, "base64")).toBe(b);
    expect(inFormat(b, "base64")).toBe(b);
  });

  it("counts the values of a base64 vector without decoding it", () => {
    for (const n of [1, 2, 3, 384, 768, 1024, 3072]) {
      const v = Array.from({ length: n }, (_, i) => i / n);
      expect(vectorLength(toBase64(v))).toBe(n);
      expect(vectorLength(v)).toBe(n);
    }
  });

  it("encodes large vectors (beyond one String.fromCharCode call)", () => {
    const v = Array.from({ length: 20_000 }, (_, i) => Math.sin(i));
    expect(fromBase64(toBase64(v))).toEqual(v.map(Math.fround));
  });
});
