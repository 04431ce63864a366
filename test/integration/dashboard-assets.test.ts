// GET /dashboard: the built dashboard comes through the Worker's ASSETS binding (the same files wrangler dev,
// wrangler deploy and plain workerd serve), with headers fit for a page that holds the admin token; every other
// route answers as before.

import { afterEach, describe, expect, it } from "vitest";
import { gateway, type Gateway } from "../helpers/gateway.ts";
import { expectErrorEnvelope } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

async function page(g: Gateway): Promise<{ res: Response; html: string }> {
  const res = await g.fetch("/dashboard");
  return { res, html: await res.text() };
}

describe("the dashboard's files", () => {
  it("serves the page with a strict content security policy and the bundles it names", async () => {
    gw = gateway();
    const { res, html } = await page(gw);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    // Nothing from elsewhere: every script and stylesheet is bundled and served from /dashboard/.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = /<script type="module" src="(\/dashboard\/app-[A-Z0-9]{8}\.js)"/.exec(html)?.[1];
    const style = /<link rel="stylesheet" href="(\/dashboard\/styles-[A-Z0-9]{8}\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();

    const js = await gw.fetch(script as string);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await js.text()).length).toBeGreaterThan(1000);
    const css = await gw.fetch(style as string);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");

    const trailing = await gw.fetch("/dashboard/");
    expect(trailing.status).toBe(200);
    expect(await trailing.text()).toBe(html);
  });

  it("asks the runtime to compress what it serves when the browser accepts gzip", async () => {
    gw = gateway();
    const res = await gw.fetch("/dashboard", { headers: { "accept-encoding": "gzip, deflate, br" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const plain = await gw.fetch("/dashboard");
    expect(plain.headers.get("content-encoding")).toBeNull();
  });

  it("answers 404 in the API's error envelope for files it does not have or paths outside its folder", async () => {
    gw = gateway();
    for (const path of ["/dashboard/missing-AAAAAAAA.js", "/dashboard/sub/index.html", "/dashboard/..%2Fwrangler.toml", "/dashboard/.env", "/dashboard/index"]) {
      const e = await expectErrorEnvelope(await gw.fetch(path), 404);
      expect(e.code).toBe("not_found");
    }
  });

  it("leaves the API's routes as they were", async () => {
    gw = gateway();
    const health = await gw.fetch("/health");
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe("ok");
    expect((await gw.fetch("/v1/models")).status).toBe(200);
    expect((await gw.fetch("/v1/routing/status")).status).toBe(200);
    await expectErrorEnvelope(await gw.fetch("/"), 404);
    await expectErrorEnvelope(await gw.fetch("/index.html"), 404);
    await expectErrorEnvelope(await gw.fetch("/v1/chat/completions"), 405);
  });
});
