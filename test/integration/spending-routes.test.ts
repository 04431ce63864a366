// POSTs to the quota-spending routes are found by exact path, ahead of the router's table: the answer, the common
// headers and the error envelope must not depend on which of the two served the request.

import { afterEach, describe, expect, it } from "vitest";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { expectErrorEnvelope } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const CHAT = JSON.stringify({ model: "auto", messages: [{ role: "user", content: "hi" }] });
const post = (body: string): RequestInit => ({ method: "POST", headers: { "content-type": "application/json", origin: "https://app.test" }, body });

/** The headers every answer carries, whichever way it was routed (the per-request values left out). */
const COMMON = ["x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "access-control-allow-origin"];

describe("the quota-spending routes", () => {
  it("answer alike by exact path, with a query string, and through the router (trailing slash)", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]), ANON_BURST: "50", ANON_RPM: "50", CORS_ORIGINS: "*" }, { builtins: false });
    let remaining = 50;
    for (const path of ["/v1/chat/completions", "/v1/chat/completions?trace=0", "/v1/chat/completions/"]) {
      const res = await gw.fetch(path, post(CHAT));
      expect(res.status, path).toBe(200);
      for (const h of COMMON) expect(res.headers.get(h), `${path} ${h}`).not.toBeNull();
      expect(Number(res.headers.get("x-ratelimit-remaining")), path).toBeLessThan(remaining);
      remaining = Number(res.headers.get("x-ratelimit-remaining"));
      expect(res.headers.get("x-freeway-model"), path).toBe(`${p}/m1`);
      expect(((await res.json()) as { model: string }).model, path).toBe(`${p}/m1`);
    }
  });

  it("turn a refused body into the same envelope, with the request's id, either way", async () => {
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(uniqueProvider(), ["m1"]) }, { builtins: false });
    for (const path of ["/v1/chat/completions", "/v1/chat/completions/", "/v1/embeddings", "/v1/responses"]) {
      const res = await gw.fetch(path, { ...post("{"), headers: { "content-type": "application/json", "x-request-id": "req-mine" } });
      const e = await expectErrorEnvelope(res, 400);
      expect(e.code, path).toBe("invalid_json");
      expect(res.headers.get("x-request-id"), path).toBe("req-mine");
    }
    expect(gw.sim.stats().total).toBe(0);
  });
});
