import { describe, expect, it } from "vitest";
import { SseParser } from "../../worker/sse.ts";

const enc = new TextEncoder();

describe("SSE parser", () => {
  it("splits events across arbitrary chunk boundaries and skips comments", () => {
    const p = new SseParser();
    const text = ': OPENROUTER PROCESSING\n\ndata: {"a":1}\r\n\r\ndata: {"b":\ndata: 2}\n\ndata: [DONE]\n\n';
    const out: string[] = [];
    for (let i = 0; i < text.length; i += 3) out.push(...p.push(enc.encode(text.slice(i, i + 3))));
    out.push(...p.end());
    expect(out).toEqual(['{"a":1}', '{"b":\n2}', "[DONE]"]);
  });

  it("ends lines at a lone CR too, and at a CRLF split between reads, at every split point", () => {
    const text = 'data: {"a":1}\r\rdata: {"b":2}\r\n\r\n: keep-alive\rdata: [DONE]\r\r';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const out = [...p.push(enc.encode(text.slice(0, cut))), ...p.push(enc.encode(text.slice(cut))), ...p.end()];
      expect(out, `split at ${cut}`).toEqual(['{"a":1}', '{"b":2}', "[DONE]"]);
    }
  });

  it("dispatches nothing for an event whose data is empty (a keep-alive some proxies send)", () => {
    const p = new SseParser();
    expect([...p.push(enc.encode('data: {"a":1}\n\ndata:\n\ndata: \n\n')), ...p.end()]).toEqual(['{"a":1}']);
  });

  it("keeps a final event that lacks its blank line", () => {
    const p = new SseParser();
    expect(p.push(enc.encode('data: {"x":1}'))).toEqual([]);
    expect(p.end()).toEqual(['{"x":1}']);
  });

  it("decodes multi-byte characters split between chunks", () => {
    const p = new SseParser();
    const bytes = enc.encode("data: héllo ✓\n\n");
    const out = [...p.push(bytes.slice(0, 8)), ...p.push(bytes.slice(8)), ...p.end()];
    expect(out).toEqual(["héllo ✓"]);
  });
});
