// Stored responses: GET and DELETE by id, previous_response_id continuing a conversation, `store: false`,
// retention, and each caller seeing only its own responses.

import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { ResponseStore } from "../../objects/response-store.ts";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { expectErrorEnvelope } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

type Json = Record<string, unknown>;

let ipSeq = 0;
/** A caller of its own: an anonymous client address nobody else in this file uses. */
function caller(): Record<string, string> {
  return { "cf-connecting-ip": `203.0.113.${++ipSeq}` };
}

function setup(settings: Record<string, string> = {}): { g: Gateway; model: string } {
  const p = uniqueProvider();
  gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]), ...settings }, { builtins: false });
  return { g: gw, model: `${p}/m1` };
}

function create(g: Gateway, body: Json, headers: Record<string, string>): Promise<Response> {
  return g.fetch("/v1/responses", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

async function created(g: Gateway, body: Json, headers: Record<string, string>): Promise<Json> {
  const res = await create(g, body, headers);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Json;
}

function lastChatMessages(g: Gateway): Json[] {
  const chats = g.sim.log().filter((e) => e.endpoint === "chat");
  return (chats[chats.length - 1]?.body as { messages: Json[] }).messages;
}

function outputText(r: Json): string {
  return ((r.output as Json[])[0]?.content as Array<{ text: string }>)[0]?.text ?? "";
}

describe("stored responses", () => {
  it("returns a stored response by id, exactly as it was answered, until it is deleted", async () => {
    const { g, model } = setup();
    const who = caller();
    const r = await created(g, { model, input: "Remember me" }, who);
    const got = await g.fetch(`/v1/responses/${r.id as string}`, { headers: who });
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(r);
    const del = await g.fetch(`/v1/responses/${r.id as string}`, { method: "DELETE", headers: who });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ id: r.id, object: "response", deleted: true });
    await expectErrorEnvelope(await g.fetch(`/v1/responses/${r.id as string}`, { headers: who }), 404);
    await expectErrorEnvelope(await g.fetch(`/v1/responses/${r.id as string}`, { method: "DELETE", headers: who }), 404);
  });

  it("continues a turn stored in pieces without splitting a character across two of them", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", vision: true }]) }, { builtins: false });
    const g = gw;
    const model = `${p}/m1`;
    const who = caller();
    // An image as a data: URL makes the turn's items longer than a piece (600,000 characters); the emoji after it
    // straddles the first cut (its first UTF-16 unit is the piece's last).
    const turn = (url: string) => [{ type: "message", role: "user", content: [{ type: "input_image", image_url: url }, { type: "input_text", text: "😀 end" }] }];
    const at = JSON.stringify(turn("data:image/png;base64,")).indexOf("😀");
    const url = `data:image/png;base64,${"A".repeat(600_000 - 1 - at)}`;
    expect(JSON.stringify(turn(url)).indexOf("😀")).toBe(599_999);
    const first = await created(g, { model, input: turn(url) }, who);
    await created(g, { model, input: "again", previous_response_id: first.id }, who);
    const parts = lastChatMessages(g)[0]?.content as Array<{ type: string; text?: string }>;
    expect(parts.find((c) => c.type === "text")?.text).toBe("😀 end");
  });

  it("keeps nothing with store: false", async () => {
    const { g, model } = setup();
    const who = caller();
    const r = await created(g, { model, input: "Forget me", store: false }, who);
    expect(r.store).toBe(false);
    const e = await expectErrorEnvelope(await g.fetch(`/v1/responses/${r.id as string}`, { headers: who }), 404);
    expect(e.code).toBe("response_not_found");
  });

  it("continues a conversation with previous_response_id over several turns (instructions are not carried)", async () => {
    const { g, model } = setup();
    const who = caller();
    const first = await created(g, { model, input: "My name is Ada.", instructions: "Be brief." }, who);
    const second = await created(g, { model, input: "What is my name?", previous_response_id: first.id }, who);
    expect(second.previous_response_id).toBe(first.id);
    expect(lastChatMessages(g)).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: outputText(first) },
      { role: "user", content: "What is my name?" },
    ]);
    await created(g, { model, input: [{ role: "user", content: [{ type: "input_text", text: "And again?" }] }], previous_response_id: second.id, instructions: "New rules." }, who);
    expect(lastChatMessages(g)).toEqual([
      { role: "system", content: "New rules." },
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: outputText(first) },
      { role: "user", content: "What is my name?" },
      { role: "assistant", content: outputText(second) },
      { role: "user", content: [{ type: "text", text: "And again?" }] },
    ]);
  });

  it("carries a function call into the next turn, so a function_call_output alone answers it", async () => {
    const { g, model } = setup();
    const who = caller();
    const tools = [{ type: "function", name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } }];
    const first = await created(g, { model, input: "Look it up", tools }, who);
    const call = (first.output as Json[])[0] as { call_id: string; arguments: string };
    const second = await created(g, { model, tools, previous_response_id: first.id, input: [{ type: "function_call_output", call_id: call.call_id, output: "found it" }] }, who);
    expect(outputText(second)).toMatch(/^Tool result: found it\./);
    expect(lastChatMessages(g).slice(1)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: call.call_id, type: "function", function: { name: "lookup", arguments: call.arguments } }] },
      { role: "tool", tool_call_id: call.call_id, content: "found it" },
    ]);
  });

  it("shows a response only to the caller that created it: others get 404 on GET, DELETE and previous_response_id", async () => {
    const { g, model } = setup();
    const owner = caller();
    const stranger = caller();
    const r = await created(g, { model, input: "Private" }, owner);
    const id = r.id as string;
    await expectErrorEnvelope(await g.fetch(`/v1/responses/${id}`, { headers: stranger }), 404);
    await expectErrorEnvelope(await g.fetch(`/v1/responses/${id}`, { method: "DELETE", headers: stranger }), 404);
    const cont = await create(g, { model, input: "Continue it", previous_response_id: id }, stranger);
    const e = await expectErrorEnvelope(cont, 404);
    expect(e.param).toBe("previous_response_id");
    // Still there for its owner.
    expect((await g.fetch(`/v1/responses/${id}`, { headers: owner })).status).toBe(200);
  });

  it("keeps responses per gateway key: another key cannot read them", async () => {
    const p = uniqueProvider();
    const g = gateway({ ACCESS: "keys", ADMIN_TOKEN: "admin-for-responses", CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    gw = g;
    const admin = adminClient(g, "admin-for-responses");
    const a = (await admin.keys.create.mutate({ label: "a" })).key;
    const b = (await admin.keys.create.mutate({ label: "b" })).key;
    const r = await created(g, { model: `${p}/m1`, input: "Key A's" }, { authorization: `Bearer ${a}` });
    expect((await g.fetch(`/v1/responses/${r.id as string}`, { headers: { authorization: `Bearer ${a}` } })).status).toBe(200);
    await expectErrorEnvelope(await g.fetch(`/v1/responses/${r.id as string}`, { headers: { authorization: `Bearer ${b}` } }), 404);
    await expectErrorEnvelope(await g.fetch(`/v1/responses/${r.id as string}`, { method: "DELETE", headers: { "x-api-key": b } }), 404);
    // Without a key at all, a closed gateway says so before looking anything up.
    await expectErrorEnvelope(await g.fetch(`/v1/responses/${r.id as string}`, { method: "DELETE" }), 401);
  });

  it("refuses an unknown previous_response_id with 404 before calling any provider", async () => {
    const { g, model } = setup();
    const res = await create(g, { model, input: "x", previous_response_id: "resp_doesnotexist" }, caller());
    const e = await expectErrorEnvelope(res, 404);
    expect(e.param).toBe("previous_response_id");
    expect(g.sim.log()).toEqual([]);
  });

  it("keeps a response for RESPONSE_RETENTION_DAYS", async () => {
    const { g, model } = setup({ RESPONSE_RETENTION_DAYS: "2" });
    const who = caller();
    const before = Date.now();
    const r = await created(g, { model, input: "Short-lived" }, who);
    // The store that holds it is the caller's (named as the server names admitted callers): find it by content.
    let stub: DurableObjectStub<ResponseStore> | undefined;
    let expires = 0;
    for (const id of await listDurableObjectIds(g.env.RESPONSE_STORE)) {
      const s = g.env.RESPONSE_STORE.get(id);
      const found = await runInDurableObject(s, (_: ResponseStore, state) =>
        state.storage.sql.exec<{ expires_at: number }>("SELECT expires_at FROM responses WHERE id = ?", r.id as string).toArray()[0]?.expires_at,
      );
      if (found !== undefined) {
        stub = s;
        expires = found;
      }
    }
    if (!stub) throw new Error("no store holds the response");
    expect(expires).toBeGreaterThanOrEqual(before + 2 * 86_400_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 2 * 86_400_000);
    expect(await runInDurableObject(stub, (_: ResponseStore, state) => state.storage.getAlarm())).toBe(expires);
  });
});

describe("stored responses with large inputs", () => {
  it("a turn whose input holds a large image (over the 2 MB row) is stored, retrieved and continued", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "vision-1", vision: true }]) }, { builtins: false });
    const who = caller();
    const model = `${p}/vision-1`;
    // A photo of about 1.6 MB as a data: URL (2.1 M base64 characters), well inside the 4 MB body limit.
    const image = `data:image/jpeg;base64,${"A".repeat(2_100_000)}`;
    const first = await created(gw, { model, input: [{ role: "user", content: [{ type: "input_text", text: "What is in this photo?" }, { type: "input_image", image_url: image }] }] }, who);
    expect(first.store).toBe(true);
    const got = await gw.fetch(`/v1/responses/${first.id as string}`, { headers: who });
    expect(got.status).toBe(200);
    await created(gw, { model, input: "And its colours?", previous_response_id: first.id }, who);
    // The continuation carried the first turn whole: the image reached the provider again.
    const parts = lastChatMessages(gw)[0]?.content as Array<{ type: string; image_url?: { url: string } }>;
    expect(parts.find((x) => x.type === "image_url")?.image_url?.url).toBe(image);
    // Deleting the response leaves no piece of it behind.
    expect((await gw.fetch(`/v1/responses/${first.id as string}`, { method: "DELETE", headers: who })).status).toBe(200);
    for (const id of await listDurableObjectIds(gw.env.RESPONSE_STORE)) {
      const left = await runInDurableObject(gw.env.RESPONSE_STORE.get(id), (_: ResponseStore, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM response_parts WHERE id = ?", first.id as string).one().n,
      );
      expect(left).toBe(0);
    }
  });
});
