// Plant every kind of secret, make providers echo them back, then search every response, log line and stored
// row for them: provider keys, gateway keys and the admin token must never leave the secret store.

import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  vi.restoreAllMocks();
});

const GROQ_KEY = "gsk_PlantedGroqKey0123456789abcdefXYZ";
const CUSTOM_KEY = "sk-planted-custom-provider-key-7Q2x9LmN";
const ADMIN_TOKEN = "admin-planted-token-55aa-77bb-99cc";

/** Every row of every table of every Durable Object of one namespace, as text. */
async function storedText(ns: DurableObjectNamespace): Promise<string> {
  let all = "";
  for (const id of await listDurableObjectIds(ns)) {
    all += await runInDurableObject(ns.get(id), (_instance: unknown, state: DurableObjectState) => {
      const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray();
      return tables.map((t) => JSON.stringify(state.storage.sql.exec(`SELECT * FROM "${t.name}"`).toArray())).join("\n");
    });
  }
  return all;
}

describe("secret hygiene", () => {
  it("never shows even the start of a key that a long plain-text error body carries past 500 characters", async () => {
    const p = uniqueProvider();
    const custom = JSON.parse(customProvider(p, ["m1"])) as Array<Record<string, unknown>>;
    (custom[0] as Record<string, unknown>).apiKey = CUSTOM_KEY;
    gw = gateway({ CUSTOM_PROVIDERS: JSON.stringify(custom) }, { builtins: false });
    // A proxy's error page that echoes the key so that it straddles character 500.
    const page = `${"e".repeat(485)} key=${CUSTOM_KEY} (rejected)`;
    expect(page.indexOf(CUSTOM_KEY)).toBeLessThan(500);
    expect(page.indexOf(CUSTOM_KEY) + CUSTOM_KEY.length).toBeGreaterThan(500);
    gw.sim.addRule({ provider: "openai", model: "m1", times: 1, fault: { kind: "status", status: 400, message: page, plain: true } });
    const res = await gw.chat({ model: `${p}/m1`, messages: [{ role: "user", content: "a" }] });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).toContain("[redacted]");
    expect(text).not.toContain(CUSTOM_KEY.slice(0, 8));
    const status = await (await gw.fetch("/v1/routing/status")).text();
    expect(status).not.toContain(CUSTOM_KEY.slice(0, 8));
  });

  it("never shows a provider key, gateway key or the admin token in responses, logs or stored rows", async () => {
    const logged: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      });
    }
    const p = uniqueProvider();
    const custom = JSON.parse(customProvider(p, ["m1", "m2"])) as Array<Record<string, unknown>>;
    (custom[0] as Record<string, unknown>).apiKey = CUSTOM_KEY;
    gw = gateway({ ACCESS: "keys", ADMIN_TOKEN, GROQ_API_KEY: GROQ_KEY, CUSTOM_PROVIDERS: JSON.stringify(custom) });
    const g = gw;
    const admin = adminClient(g, ADMIN_TOKEN);
    const { key, record } = await admin.keys.create.mutate({ label: "planted" });
    const auth = { authorization: `Bearer ${key}` };
    const seen: string[] = [];
    const keep = async (res: Response): Promise<void> => {
      seen.push(`${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
    };

    // Providers that echo our keys back in their errors: a caller's error, a transient one, a refused key.
    g.sim.addRule({ provider: "openai", model: "m1", times: 1, fault: { kind: "status", status: 400, message: `invalid request for key ${CUSTOM_KEY}` } });
    await keep(await g.chat({ model: `${p}/m1`, messages: [{ role: "user", content: "a" }] }, auth));
    g.sim.addRule({ provider: "openai", model: "m1", times: 1, fault: { kind: "status", status: 500, message: `upstream failed for ${CUSTOM_KEY}` } });
    g.sim.addRule({ provider: "openai", model: "m2", times: 1, fault: { kind: "status", status: 401, message: `Incorrect API key provided: ${CUSTOM_KEY}` } });
    await keep(await g.chat({ model: `${p}/m1`, models: [`${p}/m1`, `${p}/m2`], messages: [{ role: "user", content: "b" }] }, auth));
    g.sim.addRule({ provider: "groq", model: "llama-3.3-70b-versatile", times: 1, fault: { kind: "status", status: 400, message: `Invalid API Key ${GROQ_KEY}` } });
    await keep(await g.chat({ model: "groq/llama-3.3-70b-versatile", messages: [{ role: "user", content: "c" }] }, auth));
    // A stream, a success, the read routes, and admin calls.
    await keep(await g.chat({ model: "groq/llama-3.1-8b-instant", stream: true, messages: [{ role: "user", content: "d" }] }, auth));
    await keep(await g.chat({ model: "auto", messages: [{ role: "user", content: "e" }] }, auth));
    await keep(await g.fetch("/v1/responses", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ model: "auto", input: "g" }) }));
    await keep(await g.fetch("/v1/embeddings", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ model: "bge-m3", input: "h" }) }));
    await keep(await g.fetch("/v1/analytics", { headers: auth }));
    seen.push(JSON.stringify(await admin.analytics.requests.query({ limit: 100 })));
    seen.push(JSON.stringify(await admin.analytics.audit.query({ limit: 100 })));
    for (const path of ["/v1/models", "/v1/models?all=1", "/v1/routing/status", "/health"]) await keep(await g.fetch(path, { headers: auth }));
    seen.push(JSON.stringify(await admin.keys.list.query()));
    await keep(await g.fetch("/admin/trpc/keys.list", { headers: { authorization: "Bearer wrong-token" } }));
    await admin.keys.revoke.mutate({ id: record.id });
    await keep(await g.chat({ model: "auto", messages: [{ role: "user", content: "f" }] }, auth));

    const stored = (
      await Promise.all(
        [env.MODEL_ACTOR, env.POOL_ACTOR, env.CLIENT_LIMITER, env.KEY_REGISTRY, env.RESPONSE_STORE, env.REQUEST_LEDGER, env.AUDIT_LOG].map((ns) =>
          storedText(ns as unknown as DurableObjectNamespace),
        ),
      )
    ).join("\n");
    const everything = { responses: seen.join("\n"), logs: logged.join("\n"), stored };
    for (const [where, text] of Object.entries(everything)) {
      for (const secret of [GROQ_KEY, CUSTOM_KEY, ADMIN_TOKEN, key]) {
        expect(text.includes(secret), `${where} contains a planted secret`).toBe(false);
      }
    }
    // The search was real: the echoed errors did reach the caller, redacted.
    expect(everything.responses).toContain("[redacted]");
    expect(stored.length).toBeGreaterThan(0);
  });

  describe("what a provider echoes in other forms and fields", () => {
    const ORIGIN = "http://echo.test";
    let restore: (() => void) | undefined;
    afterEach(() => {
      restore?.();
      restore = undefined;
    });

    /** A custom provider at ORIGIN with this key whose every call gets `status` and `body` back. */
    function echoing(key: string, status: number, body: string, models: unknown[] = ["m1"], settings: Record<string, string> = {}): { g: Gateway; id: string } {
      const id = uniqueProvider("echo");
      const g = gateway({ CUSTOM_PROVIDERS: JSON.stringify([{ id, baseUrl: `${ORIGIN}/${id}/v1`, apiKey: key, models }]), ...settings }, { builtins: false });
      const original = globalThis.fetch;
      const patched: typeof fetch = async (input, init) => {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        if (!url.startsWith(`${ORIGIN}/`)) return original(input, init);
        return new Response(body, { status, headers: { "content-type": "application/json" } });
      };
      globalThis.fetch = patched;
      restore = () => {
        if (globalThis.fetch === patched) globalThis.fetch = original;
        g.close();
      };
      return { g, id };
    }

    it("never passes on a key the provider put in its error's code or param (chat, responses, embeddings, request log)", async () => {
      const body = JSON.stringify({ error: { message: "invalid request", type: "invalid_request_error", code: `invalid_key:${CUSTOM_KEY}`, param: `key=${CUSTOM_KEY}` } });
      const { g, id } = echoing(CUSTOM_KEY, 400, body, ["m1", { upstream: "e1", kind: "embedding", dimensions: 4 }], { ADMIN_TOKEN });
      gw = g;
      const chat = await g.chat({ model: `${id}/m1`, messages: [{ role: "user", content: "a" }] });
      const responses = await g.fetch("/v1/responses", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: `${id}/m1`, input: "b" }) });
      const embeddings = await g.fetch("/v1/embeddings", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: `${id}/e1`, input: "c" }) });
      for (const res of [chat, responses, embeddings]) {
        expect(res.status).toBe(400);
        expect(await res.text()).not.toContain(CUSTOM_KEY.slice(0, 8));
      }
      const log = JSON.stringify(await adminClient(g, ADMIN_TOKEN).analytics.requests.query({ limit: 100 }));
      expect(log).toContain(id);
      expect(log).not.toContain(CUSTOM_KEY);
    });

    it("never shows a key that the provider echoes URL-encoded, JSON-escaped, as base64 of its Authorization header, or cut short", async () => {
      // A key with characters that URLs and JSON encoders rewrite.
      const key = "Planted/Key+With=Symbols/0123456789";
      const plain = "ollama-Planted0123456789Secret";
      const cases: Array<[string, string, string]> = [
        [key, JSON.stringify({ error: { message: `GET /v1/models?key=${encodeURIComponent(key)} refused` } }), encodeURIComponent(key)],
        // Not the shape the gateway reads an error from: the raw body (with its JSON escapes) is the message.
        [key, `{"errors":[{"message":"bad key ${key.replaceAll("/", "\\/")}"}]}`, key.slice(0, 8)],
        [plain, JSON.stringify({ error: { message: `bad authorization ${btoa(`Bearer ${plain}`)}` } }), btoa(`Bearer ${plain}`).slice(0, 16)],
        // A provider that shows the start of the key it was given.
        [plain, JSON.stringify({ error: { message: `Invalid API key: ${plain.slice(0, 14)}...` } }), plain.slice(0, 8)],
      ];
      for (const [k, body, shown] of cases) {
        const { g, id } = echoing(k, 400, body);
        gw = g;
        const res = await g.chat({ model: `${id}/m1`, messages: [{ role: "user", content: "a" }] });
        const text = await res.text();
        expect(text, body).not.toContain(shown);
        const status = await (await g.fetch("/v1/routing/status")).text();
        expect(status, body).not.toContain(shown);
        // The search was real: the echo reached the caller (a refused key: the status page), redacted.
        expect(`${text}${status}`, body).toContain("[redacted]");
        restore?.();
        restore = undefined;
      }
    });

    it("never shows the credentials a custom provider's baseUrl carries in the admin API", async () => {
      const p = uniqueProvider();
      const password = "PlantedBasicAuthPassw0rd";
      gw = gateway(
        { ADMIN_TOKEN, CUSTOM_PROVIDERS: JSON.stringify([{ id: p, baseUrl: `https://user:${password}@llm.example.invalid/v1`, apiKey: CUSTOM_KEY, models: ["m1"] }]) },
        { builtins: false },
      );
      const providers = await adminClient(gw, ADMIN_TOKEN).providers.list.query();
      const mine = providers.find((x) => x.id === p);
      expect(mine?.baseUrl).toContain("llm.example.invalid/v1");
      expect(JSON.stringify(providers)).not.toContain(password);
      for (const path of ["/v1/models?all=1", "/v1/routing/status", "/health"]) expect(await (await gw.fetch(path)).text()).not.toContain(password);
    });
  });
});
