// Admin inputs through the typed admin client: bodies JSON cannot carry, overrides on models nobody configured,
// daily limits set by an operator in the forecast, and settings left empty.

import { afterEach, describe, expect, it } from "vitest";
import { settingProblems, settingsFor } from "../../worker/settings.ts";
import type { Env } from "../../worker/env.ts";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";

let gw: Gateway | undefined;
afterEach(() => gw?.close());

const ADMIN = "admin-token-for-tests";
const user = [{ role: "user", content: "hi" }];

function withModel(limits?: Record<string, number>) {
  const p = uniqueProvider();
  const models = limits ? [{ upstream: "m1", limits }] : ["m1"];
  gw = gateway({ ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProvider(p, models) }, { builtins: false });
  return { g: gw, admin: adminClient(gw, ADMIN), model: `${p}/m1` };
}

async function codeOf(p: Promise<unknown>): Promise<{ code?: string; httpStatus?: number } | "ok"> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return (e as { data?: { code?: string; httpStatus?: number } }).data ?? {};
  }
}

describe("routing.explain: a body superjson can carry but JSON cannot is a BAD_REQUEST, not a 500", () => {
  it.each([
    ["a BigInt in a tool's parameters", (m: string) => ({ model: m, messages: user, tools: [{ type: "function", function: { name: "f", parameters: { max: BigInt(1) } } }] })],
    ["a URL object as an image_url", (m: string) => ({ model: m, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: new URL("http://x.test/a.png") } }] }] })],
  ])("%s", async (_, body) => {
    const { admin, model } = withModel();
    expect(await codeOf(admin.routing.explain.query({ body: body(model) as never }))).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400 });
  });
});

describe("analytics.forecast and operator overrides", () => {
  it("forecasts a daily allowance the operator set on a model whose catalog entry has none", async () => {
    const { g, admin, model } = withModel({ rpm: 100 });
    await admin.models.setLimits.mutate({ id: model, limits: { rpd: 50 } });
    expect((await g.chat({ model, messages: user })).status).toBe(200);
    const status = await admin.models.get.query({ id: model });
    expect(status.status?.limits.rpd).toBe(50);
    const f = await admin.analytics.forecast.query();
    expect(f.find((x) => x.id === model && x.limit === "rpd")).toMatchObject({ capacity: 50, remaining: 49 });
  });
});

describe("models.get / models.list and a model of a provider that is not configured", () => {
  it("shows the operator overrides that setLimits just stored (the CLI's `limits set` keeps what it reads here)", async () => {
    gw = gateway({ ADMIN_TOKEN: ADMIN }, { builtins: false });
    const admin = adminClient(gw, ADMIN);
    const id = (await admin.models.list.query({ all: true })).find((m) => !m.configured)!.id;
    const set = await admin.models.setLimits.mutate({ id, limits: { rpm: 5 } });
    expect(set.overrides).toEqual({ rpm: 5 });
    // What `freeway-admin limits set <id> --rpd 10` does: read the overrides kept, then write them with the new one.
    const kept = (await admin.models.get.query({ id })).status?.overrides ?? {};
    const after = await admin.models.setLimits.mutate({ id, limits: { ...kept, rpd: 10 } });
    expect(after.overrides).toEqual({ rpm: 5, rpd: 10 });
  });
});

describe("numeric settings", () => {
  it("an empty value is no value: the default applies (as /health and npm start read it), not 0", () => {
    const env = { CREDIT_MS: "", PRIORITY_RESERVE_PERCENT: " ", HEDGE_AFTER_MS: "" } as unknown as Env;
    const defaults = settingsFor({} as unknown as Env);
    expect(settingProblems(env)).toEqual([]);
    const s = settingsFor(env);
    expect(s.creditMs).toBe(defaults.creditMs);
    expect(s.priorityReservePercent).toBe(defaults.priorityReservePercent);
    expect(s.hedgeAfterMs).toBe(defaults.hedgeAfterMs);
  });
});

describe("ADMIN_TOKEN", () => {
  it("works when the secret was stored with a trailing line break, and stays off when it is only whitespace", async () => {
    gw = gateway({ ADMIN_TOKEN: `${ADMIN}\n` }, { builtins: false });
    expect(await adminClient(gw, ADMIN).keys.list.query()).toEqual([]);
    gw.close();
    gw = gateway({ ADMIN_TOKEN: " \n" }, { builtins: false });
    const res = await gw.fetch("/admin/trpc/keys.list", { headers: { authorization: "Bearer x" } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("admin_disabled");
  });
});
