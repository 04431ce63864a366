// A shared pool whose operator gave it a concurrency (or token) limit: each admission's slot comes back when the
// request ends, through the pool's own lease (not only the model's).

import { afterEach, describe, expect, it } from "vitest";
import { adminClient, gateway, type Gateway } from "../helpers/gateway.ts";
import { user } from "../helpers/integration.ts";

const ADMIN = "admin-token-for-tests";
let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

describe("a pool with a concurrency limit", () => {
  it("frees an operator's pool concurrency slot when the request ends (no lease left behind in the pool)", async () => {
    const g = gateway({ ADMIN_TOKEN: ADMIN });
    gw = g;
    const admin = adminClient(g, ADMIN);
    const model = "nvidia/meta/llama-3.3-70b-instruct";
    // NVIDIA's account allows one request at a time (say): the operator sets it on the shared pool.
    await admin.pools.setLimits.mutate({ id: "nvidia:account", limits: { rpm: 40, concurrency: 1 } });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await g.chat({ model, messages: user(`one at a time ${i}`) })).status);
    // One after another, never two at once: each must be admitted.
    expect(codes).toEqual([200, 200, 200]);
    const pool = await admin.pools.get.query({ id: "nvidia:account" });
    expect(pool.status?.remaining.concurrency).toBe(1);
    await admin.pools.setLimits.mutate({ id: "nvidia:account", limits: null });
  });
});
