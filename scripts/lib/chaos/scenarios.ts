// The named fault scenarios of `npm run chaos`, in the order they run. Each starts with no simulator rules;
// the gateway's own memory (cooldowns, health) carries over, as it would in production.

import { oneShot } from "./one-shot.ts";
import { contentPolicy, contextLength, fallbackRejectsPrefill } from "./refusals.ts";
import { failoverAccounting, persistent, primaryFlapping } from "./routing.ts";
import type { Scenario } from "./types.ts";

export const SCENARIOS: readonly Scenario[] = [
  oneShot({ name: "429-retry-after", fault: { kind: "rate_limit", retryAfter: 1 }, text: "first call: 429 with Retry-After: 1", stream: false, slowMs: 3000 }),
  oneShot({ name: "429-no-retry-after", fault: { kind: "rate_limit" }, text: "first call: 429 without Retry-After", stream: false, slowMs: 3000 }),
  persistent("429-persistent", { kind: "rate_limit", retryAfter: 20 }, "the first choice's provider: 429 (Retry-After: 20) on every call"),
  oneShot({ name: "500-once", fault: { kind: "status", status: 500 }, text: "first call: HTTP 500", stream: false, slowMs: 3000 }),
  persistent("503-persistent", { kind: "status", status: 503 }, "the first choice's provider: HTTP 503 on every call"),
  oneShot({ name: "reset-before-headers", fault: { kind: "reset" }, text: "first call (streamed): connection reset before any header", stream: true, slowMs: 3000 }),
  oneShot({
    name: "no-response",
    fault: { kind: "hang" },
    text: "first call: no response at all",
    stream: false,
    // A hung provider should cost a few seconds (freeway: RESPONSE_TIMEOUT_MS), not the caller's patience.
    slowMs: 6000,
    timeoutMs: 45_000,
    mustAbort: true,
  }),
  oneShot({
    name: "slow-first-token",
    fault: { kind: "slow", firstTokenMs: 20_000 },
    text: "first call (streamed): headers at once, first token after 20 s",
    stream: true,
    slowMs: 5000,
    timeoutMs: 35_000,
    mustAbort: true,
  }),
  oneShot({ name: "stream-cut", fault: { kind: "cut", afterTokens: 40 }, text: "first call (streamed): connection drops after 40 of 60 tokens", stream: true, slowMs: 3000 }),
  oneShot({ name: "stream-stall", fault: { kind: "stall", afterTokens: 40 }, text: "first call (streamed): silence after 40 of 60 tokens", stream: true, slowMs: 6000 }),
  oneShot({ name: "malformed-chunk", fault: { kind: "malformed", afterTokens: 40 }, text: "first call (streamed): a chunk that is not JSON after 40 tokens", stream: true, slowMs: 3000 }),
  oneShot({ name: "no-done", fault: { kind: "no_done" }, text: "first call (streamed): the whole answer but no data: [DONE]", stream: true, slowMs: 3000 }),
  contextLength,
  contentPolicy,
  fallbackRejectsPrefill,
  primaryFlapping,
  failoverAccounting,
];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}
