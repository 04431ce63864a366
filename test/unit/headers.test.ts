import { describe, expect, it } from "vitest";
import { adapterFor } from "../../worker/adapters/index.ts";
import { goDuration, num, retryAfterMs, tryAgainIn } from "../../worker/adapters/headers.ts";

describe("provider wait formats", () => {
  it("reads Go durations", () => {
    expect(goDuration("2m59.56s")).toBe(179_560);
    expect(goDuration("7.66s")).toBe(7660);
    expect(goDuration("1h2m")).toBe(3_720_000);
    expect(goDuration("850ms")).toBe(850);
    expect(goDuration("42")).toBe(42_000);
    expect(goDuration("")).toBeUndefined();
  });

  it("reads Retry-After as seconds, a date, or retry-after-ms", () => {
    const now = Date.UTC(2026, 10, 27);
    expect(retryAfterMs(new Headers({ "retry-after": "17" }), now)).toBe(17_000);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250" }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(now + 30_000).toUTCString() }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it("reads Groq's 'try again in' from the message", () => {
    expect(tryAgainIn("... Please try again in 9m38.016s. Need more tokens?")).toBe(578_016);
  });
});

describe("numbers no provider can mean", () => {
  it("takes a negative rate-limit header as no fact, so no model is blocked by a learned limit of -1", () => {
    const h = new Headers({ "x-ratelimit-limit-requests": "-1", "x-ratelimit-remaining-requests": "14370" });
    expect(num(h, "x-ratelimit-limit-requests")).toBeUndefined();
    expect(num(h, "x-ratelimit-remaining-requests")).toBe(14_370);
    expect(adapterFor("groq").rateInfo(h)).not.toHaveProperty("limitRequestsDay", -1);
  });

  it("takes a negative token count as no count, so a broken host hands no tokens back to the limits", () => {
    const openai = adapterFor("openai");
    expect(openai.usage({ usage: { prompt_tokens: -5000, completion_tokens: 12 } })).toEqual({ prompt: 0, completion: 12 });
    expect(openai.usage({ usage: { prompt_tokens: -1, completion_tokens: -1 } })).toBeUndefined();
  });
});
