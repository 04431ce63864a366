import { afterEach, describe, expect, it } from "vitest";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";

let gw: Gateway | undefined;
afterEach(() => gw?.close());

describe("gateway smoke", () => {
  it("answers a chat request through a custom provider", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    const res = await gw.chat({ model: "auto", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string };
    expect(body.model).toBe(`${p}/m1`);
  });
});

