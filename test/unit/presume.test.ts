// worker/access.ts on its own: a key's request may go ahead on a presumed admission while its limiter decides,
// but not near its limit, counting the requests already ahead exactly once each.

import { describe, expect, it } from "vitest";
import type { ClientAdmission } from "../../shared/access.ts";
import { openGate, presume } from "../../worker/access.ts";
import type { Env } from "../../worker/env.ts";

describe("presumed admissions", () => {
  it("stop near the limit, counting each request still ahead once when its own answer comes", async () => {
    const answers: Array<(a: ClientAdmission) => void> = [];
    const limiter = { take: () => new Promise<ClientAdmission>((resolve) => answers.push(resolve)) };
    const env = { ACCESS: "keys", CREDIT_MS: "0", CLIENT_LIMITER: { getByName: () => limiter } } as unknown as Env;
    const ctx = { waitUntil: () => undefined } as unknown as ExecutionContext;
    const key = { id: "k1", label: "k", createdAt: 0, revokedAt: null, quota: { rpm: 20 }, models: null, hint: "abcd" };
    const ok = (remaining: number): ClientAdmission => ({ ok: true, key, limit: 20, remaining, resetMs: 1000 });
    const request = (): Request => new Request("http://gateway.test/v1/chat/completions", { headers: { authorization: "Bearer fw_presume_test_key" } });

    const first = await openGate(request(), env, ctx, true);
    answers[0]?.(ok(5));
    await first.admission;
    // Two more while their answers are out: each goes ahead on the first one's word.
    const second = await openGate(request(), env, ctx, true);
    const third = await openGate(request(), env, ctx, true);
    expect(presume(second)).toBeDefined();
    expect(presume(third)).toBeDefined();
    // The second's answer: 2 left, and the third still ahead of them. One more may not be presumed (2 - 1 < 2).
    answers[1]?.(ok(2));
    await second.admission;
    const fourth = await openGate(request(), env, ctx, true);
    expect(presume(fourth)).toBeUndefined();
  });
});
