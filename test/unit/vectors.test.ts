import { describe, expect, it } from "vitest";
import { fromBase64, inFormat, listMark, parseWithLists, RawFloats, stringifyWithLists, toBase64, vectorLength } from "../../worker/embeddings/vectors.ts";

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

describe("float lists kept as the provider's text", () => {
  const vector = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(i * seed) * (i % 7 === 0 ? 1e-7 : 1));

  it("lifts long lists of numbers out before parsing and writes them back byte for byte", () => {
    const data = [vector(1536, 1), vector(1536, 2), vector(64, 3)].map((embedding, index) => ({ object: "embedding", index, embedding }));
    // Pretty-printed, as some providers send it: JSON whitespace inside the lists is kept.
    const text = JSON.stringify({ object: "list", data, model: "m", usage: { prompt_tokens: 3, total_tokens: 3 } }, null, 1);
    const parsed = parseWithLists(text) as { data: Array<{ embedding: unknown }>; usage: unknown };
    expect(parsed.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const lists = parsed.data.map((d) => d.embedding);
    for (const [i, l] of lists.entries()) {
      expect(l).toBeInstanceOf(RawFloats);
      expect(vectorLength(l as RawFloats)).toBe(data[i]?.embedding.length);
      expect(JSON.parse((l as RawFloats).json)).toEqual(data[i]?.embedding);
    }
    const out = stringifyWithLists({ data: lists.map((_, i) => ({ embedding: listMark(i) })) }, lists as RawFloats[]);
    expect(JSON.parse(out)).toEqual({ data: data.map((d) => ({ embedding: d.embedding })) });
    // As base64 the list is decoded once, to the same float32 values.
    expect(fromBase64(inFormat(lists[0] as RawFloats, "base64") as string)).toEqual(data[0]?.embedding.map(Math.fround));
  });

  it("leaves short lists, text that only looks like a list, and invalid numbers to the plain parser", () => {
    const long = `[${vector(100, 5).join(",")}]`;
    const inString = JSON.stringify({ note: long, short: [1, 2, 3] });
    expect(parseWithLists(inString)).toEqual({ note: long, short: [1, 2, 3] });
    // Not JSON numbers (a leading zero, a bare dot, NaN): not lifted, so the parser refuses the body as before.
    for (const bad of ["01", "1.", ".5", "NaN", "1e"]) {
      const text = `{"embedding":[${Array.from({ length: 80 }, () => "0.5").join(",")},${bad}]}`;
      expect(() => parseWithLists(text)).toThrow(SyntaxError);
    }
  });
});

