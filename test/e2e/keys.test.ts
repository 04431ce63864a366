// Gateway keys end to end: the typed admin client over HTTP creates, limits and revokes a key; the OpenAI SDK
// uses it. The deployed default (ACCESS=keys) is what runs here.

import OpenAI, { AuthenticationError, RateLimitError } from "openai";
import { describe, expect, it } from "vitest";
import { createAdminClient } from "../../admin-client/index.ts";
import { useStack } from "./harness.ts";

const ADMIN_TOKEN = "e2e-admin-token-3f9c";
const stack = useStack({ ACCESS: "keys", ADMIN_TOKEN });

describe("gateway keys through the admin client and the OpenAI SDK", () => {
  it("creates a key that works, limits it, and refuses it on the very next request after revocation", async () => {
    const admin = createAdminClient({ url: stack.url, token: ADMIN_TOKEN });
    const { key, record } = await admin.keys.create.mutate({ label: "e2e", quota: { rpm: 2 } });
    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: key, maxRetries: 0 });

    const { data, response } = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "hello" }] }).withResponse();
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(response.headers.get("x-ratelimit-limit")).toBe("2");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("1");

    await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "again" }] });
    const limited = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "third" }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(Number((limited as RateLimitError).headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);

    await admin.keys.setQuota.mutate({ id: record.id, quota: {} });
    await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "unlimited now" }] });

    await admin.keys.revoke.mutate({ id: record.id });
    const refused = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "after revoke" }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthenticationError);
    expect((await admin.keys.list.query()).find((k) => k.id === record.id)?.revokedAt).not.toBeNull();
  });

  it("refuses callers without a key and the admin API with a wrong token", async () => {
    const anonymous = new OpenAI({ baseURL: stack.baseURL, apiKey: "not-a-key", maxRetries: 0 });
    await expect(anonymous.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(AuthenticationError);
    const wrong = createAdminClient({ url: stack.url, token: "wrong" });
    await expect(wrong.keys.list.query()).rejects.toThrow();
  });
});
