import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_TURNS, type ResponseStore } from "../../objects/response-store.ts";
import type { StoredResponse } from "../../shared/responses.ts";

let n = 0;
/** A unique actor per test: storage is shared within a file. */
function store(): DurableObjectStub<ResponseStore> {
  return env.RESPONSE_STORE.getByName(`test-owner-${++n}-${Date.now()}`);
}

function record(id: string, over: Partial<StoredResponse> = {}): StoredResponse {
  const now = Date.now();
  return {
    id,
    createdAt: now,
    expiresAt: now + 86_400_000,
    previousId: null,
    response: JSON.stringify({ id, object: "response" }),
    items: JSON.stringify([{ type: "message", role: "user", content: id }]),
    ...over,
  };
}

describe("ResponseStore", () => {
  it("returns what was put, and nothing for an id it does not hold", async () => {
    const s = store();
    expect(await s.put(record("resp_a"))).toEqual({ ok: true });
    expect(await s.get("resp_a")).toEqual({ ok: true, response: JSON.stringify({ id: "resp_a", object: "response" }) });
    expect(await s.get("resp_b")).toEqual({ ok: false });
  });

  it("keeps responses across eviction (SQLite storage)", async () => {
    const s = store();
    await s.put(record("resp_kept"));
    await evictDurableObject(s);
    expect((await s.get("resp_kept")).ok).toBe(true);
  });

  it("walks a conversation chain oldest first, and stops at a link that is gone", async () => {
    const s = store();
    await s.put(record("resp_1"));
    await s.put(record("resp_2", { previousId: "resp_1" }));
    await s.put(record("resp_3", { previousId: "resp_2" }));
    const turns = (id: string): Array<{ content: string }> => JSON.parse(id) as Array<{ content: string }>;
    const c = await s.conversation("resp_3");
    expect(c.ok && c.turns.map((t) => turns(t)[0]?.content)).toEqual(["resp_1", "resp_2", "resp_3"]);
    await s.remove("resp_1");
    const after = await s.conversation("resp_3");
    expect(after.ok && after.turns.length).toBe(2);
    expect(await s.conversation("resp_1")).toEqual({ ok: false, reason: "not_found" });
  });

  it("refuses to walk a chain longer than MAX_TURNS", async () => {
    const s = store();
    for (let i = 0; i <= MAX_TURNS; i++) await s.put(record(`resp_${i}`, { previousId: i === 0 ? null : `resp_${i - 1}` }));
    expect(await s.conversation(`resp_${MAX_TURNS}`)).toEqual({ ok: false, reason: "too_long" });
  });

  it("deletes one response and says whether it held it", async () => {
    const s = store();
    await s.put(record("resp_del"));
    expect(await s.remove("resp_del")).toEqual({ deleted: true });
    expect(await s.remove("resp_del")).toEqual({ deleted: false });
    expect(await s.get("resp_del")).toEqual({ ok: false });
  });

  it("hides expired responses at once and deletes them when its alarm runs, then sleeps until the next expiry", async () => {
    const s = store();
    const now = Date.now();
    await s.put(record("resp_old", { expiresAt: now + 50 }));
    await s.put(record("resp_new", { expiresAt: now + 3_600_000 }));
    expect(await runInDurableObject(s, (_: ResponseStore, state) => state.storage.getAlarm())).toBe(now + 50);
    await new Promise((r) => setTimeout(r, 60));
    expect(await s.get("resp_old")).toEqual({ ok: false });
    expect(await runDurableObjectAlarm(s)).toBe(true);
    const rows = await runInDurableObject(s, (_: ResponseStore, state) => state.storage.sql.exec<{ id: string }>("SELECT id FROM responses").toArray().map((r) => r.id));
    expect(rows).toEqual(["resp_new"]);
    expect(await runInDurableObject(s, (_: ResponseStore, state) => state.storage.getAlarm())).toBe(now + 3_600_000);
  });

  it("answers a value, not a thrown error, when a response is too large to store", async () => {
    const s = store();
    const r = await s.put(record("resp_huge", { response: "x".repeat(3 * 1024 * 1024) }));
    expect(r.ok).toBe(false);
    expect(await s.get("resp_huge")).toEqual({ ok: false });
  });
});
