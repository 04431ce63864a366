// 2,000+ generated malformed requests: every answer a 4xx in the OpenAI error shape, never a 5xx, and nothing
// refused ever reaches a provider or moves a model actor's counters.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
// A seeded generator: the same 2,000 requests every run, so a failure can be replayed.
import { seededRandom as rng } from "../simulator/hash.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Case {
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: BodyInit;
  what: string;
}

const MAX_BODY = 64 * 1024;

function generator(seed: number) {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const word = () => Array.from({ length: 1 + int(12) }, () => String.fromCharCode(32 + int(95))).join("");
  const value = (depth = 0): Json => {
    switch (int(depth > 3 ? 4 : 7)) {
      case 0:
        return null;
      case 1:
        return r() < 0.5;
      case 2:
        return pick([0, -1, 1.5, 1e309 === Infinity ? 1e308 : 0, 2 ** 53, -(2 ** 31), Number.MIN_VALUE]);
      case 3:
        return pick(["", word(), "auto", "\u0000", "😀".repeat(3), "a".repeat(int(300))]);
      case 4:
        return Array.from({ length: int(4) }, () => value(depth + 1));
      default: {
        const o: Record<string, Json> = {};
        for (let i = 0; i < int(4); i++) o[pick(["model", "messages", "role", "content", "tools", "stream", word()])] = value(depth + 1);
        return o;
      }
    }
  };
  const okBody = (): Record<string, Json> => ({ model: "auto", messages: [{ role: "user", content: "hello" }] });
  /** A valid request with one field made wrong: the validator must name it. */
  const mutated = (): Record<string, Json> => {
    const b = okBody();
    const msg = (b.messages as Json[])[0] as Record<string, Json>;
    switch (int(20)) {
      case 0:
        b.model = pick([42, null, true, [], {}, ""] as Json[]);
        break;
      case 1:
        delete b.model;
        break;
      case 2:
        b.messages = pick([null, "hello", 5, {}, []] as Json[]);
        break;
      case 3:
        msg.role = pick(["robot", "", 3, null, ["user"]] as Json[]);
        break;
      case 4:
        msg.content = pick([5, true, {}, [{}], [{ type: "video" }], [{ type: "text" }], [{ type: "image_url", image_url: "x" }]] as Json[]);
        break;
      case 5:
        b.temperature = pick(["hot", -1, 3, null === null ? [] : 0, {}] as Json[]);
        break;
      case 6:
        b.max_tokens = pick([-5, 0, 1.5, "10", [], 1e12] as Json[]);
        break;
      case 7:
        b.stream = pick(["yes", 1, {}, []] as Json[]);
        break;
      case 8:
        b.tools = pick(["x", [1], [{ type: "function" }], [{ type: "function", function: { name: "bad name!" } }], [{ type: "code" }]] as Json[]);
        break;
      case 9:
        b.tool_choice = pick(["sometimes", 5, { type: "function", function: { name: "nope" } }] as Json[]);
        break;
      case 10:
        b.response_format = pick(["json", { type: "yaml" }, { type: "json_schema" }, { type: "json_schema", json_schema: { name: 5 } }] as Json[]);
        break;
      case 11:
        b.n = pick([0, -1, 1.5, "2", 1000] as Json[]);
        break;
      case 12:
        b.stop = pick([5, ["a", "b", "c", "d", "e"], [1], {}] as Json[]);
        break;
      case 13:
        b.top_p = pick([2, -0.5, "1"] as Json[]);
        break;
      case 14:
        b.messages = [{ role: "tool", content: "result" }];
        break;
      case 15:
        b.messages = [{ role: "assistant", content: null }];
        break;
      case 16:
        b.model = pick(["no-such-model", "groq/", "/x", "x".repeat(500), "auto:nonsense"] as Json[]);
        break;
      case 17:
        b.models = pick(["x", [], [1], Array.from({ length: 40 }, () => "auto")] as Json[]);
        break;
      case 18:
        b.stream_options = pick(["x", { include_usage: "yes" }] as Json[]);
        break;
      default:
        b.messages = Array.from({ length: 2049 }, () => ({ role: "user", content: "x" }));
    }
    return b;
  };
  const bytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
  const json = { "content-type": "application/json" };
  const next = (): Case => {
    const kind = int(10);
    switch (kind) {
      case 0:
        return { what: "random bytes", path: "/v1/chat/completions", method: "POST", headers: json, body: bytes(1 + int(200)) };
      case 1:
        return { what: "random JSON value", path: "/v1/chat/completions", method: "POST", headers: json, body: JSON.stringify(value()) };
      case 2:
      case 3:
      case 4:
        return { what: "one wrong field", path: "/v1/chat/completions", method: "POST", headers: json, body: JSON.stringify(mutated()) };
      case 5: {
        // Valid JSON text except for invalid UTF-8 inside a string.
        const head = new TextEncoder().encode('{"model":"auto","messages":[{"role":"user","content":"');
        const tail = new TextEncoder().encode('"}]}');
        const bad = pick([[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80]]);
        return { what: "invalid UTF-8", path: "/v1/chat/completions", method: "POST", headers: json, body: new Uint8Array([...head, ...bad, ...tail]) };
      }
      case 6:
        return pick<Case>([
          { what: "oversize body", path: "/v1/chat/completions", method: "POST", headers: json, body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "x".repeat(MAX_BODY) }] }) },
          { what: "deep nesting", path: "/v1/chat/completions", method: "POST", headers: json, body: `${"[".repeat(2000 + int(5000))}${"]".repeat(10)}` },
          { what: "deep object", path: "/v1/chat/completions", method: "POST", headers: json, body: `{"model":"auto","messages":[],"a":${'{"a":'.repeat(100)}1${"}".repeat(100)}}` },
          { what: "truncated JSON", path: "/v1/chat/completions", method: "POST", headers: json, body: JSON.stringify(okBody()).slice(0, 1 + int(40)) },
          { what: "empty body", path: "/v1/chat/completions", method: "POST", headers: json, body: "" },
        ]);
      case 7:
        return {
          what: "odd content type",
          path: "/v1/chat/completions",
          method: "POST",
          headers: { "content-type": pick(["text/html", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "image/png", "application/xml"]) },
          body: pick([JSON.stringify(mutated()), "a=1&b=2", "<xml/>"]),
        };
      case 8:
        return {
          what: "odd method or path",
          path: pick(["/v1/chat/completions", "/v1/models", "/v1/routing/status", "/v1/nope", "/v2/chat/completions", `/v1/${"x".repeat(3000)}`, "/v1/chat/completions/extra", "/%00", "/v1/models?x=%ff"]),
          method: pick(["PUT", "PATCH", "DELETE", "GET", "POST"]),
          headers: json,
          body: undefined,
        };
      default:
        return {
          what: "odd headers",
          path: "/v1/chat/completions",
          method: "POST",
          headers: {
            ...json,
            ...pick<Record<string, string>>([
              { authorization: "Basic Zm9vOmJhcg==" },
              { "x-request-id": "x".repeat(5000) },
              { "content-encoding": "gzip" },
              { accept: "text/event-stream" },
              { "x-api-key": "" },
            ]),
          },
          body: JSON.stringify(mutated()),
        };
    }
  };
  return next;
}

let gw: Gateway;
let provider: string;
beforeAll(() => {
  provider = uniqueProvider();
  gw = gateway(
    { MAX_BODY_BYTES: String(MAX_BODY), CUSTOM_PROVIDERS: customProvider(provider, [{ upstream: "m1", limits: { rpm: 100_000, rpd: 100_000, tpm: 10_000_000 } }]) },
    { builtins: false },
  );
});
afterAll(() => gw.close());

describe("fuzzing the request path", () => {
  it("answers 2,400 malformed requests with 4xx OpenAI errors only, touching no provider quota", async () => {
    const next = generator(20261127);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const cases = Array.from({ length: 2400 }, next);
    for (let i = 0; i < cases.length; i += 50) {
      await Promise.all(
        cases.slice(i, i + 50).map(async (c, j) => {
          const res = await gw.fetch(c.path, { method: c.method, headers: c.headers, ...(c.body !== undefined && c.method !== "GET" ? { body: c.body } : {}) });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const text = await res.text();
          let shapeOk = false;
          try {
            const e = (JSON.parse(text) as { error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown } }).error;
            shapeOk = typeof e?.message === "string" && typeof e.type === "string" && "param" in e && "code" in e;
          } catch {
            shapeOk = false;
          }
          // GETs of real read routes legitimately answer 200; everything else must be a 4xx error.
          const readRoute = c.method === "GET" && (c.path.startsWith("/v1/models") || c.path === "/v1/routing/status");
          if (readRoute && res.status === 200) return;
          if (res.status < 400 || res.status >= 500 || !shapeOk) failures.push(`#${i + j} ${c.what} ${c.method} ${c.path.slice(0, 60)} → ${res.status} ${text.slice(0, 160)}`);
        }),
      );
    }
    expect(failures).toEqual([]);
    expect([...statuses.keys()].some((s) => s >= 500)).toBe(false);
    expect(cases.length).toBeGreaterThanOrEqual(2000);
    // Nothing refused reached a provider, and the model's own counters never moved.
    expect(gw.sim.log()).toEqual([]);
    const status = (await (await gw.fetch("/v1/routing/status")).json()) as { providers: Array<{ id: string; models: Array<{ id: string; remaining: Record<string, number> }> }> };
    const m = status.providers.find((p) => p.id === provider)?.models.find((x) => x.id === `${provider}/m1`);
    expect(m?.remaining).toEqual({ rpm: 100_000, rpd: 100_000, tpm: 10_000_000 });
  }, 60_000);
});
