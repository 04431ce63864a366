// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the real gateway under
// wrangler dev (issue 6): the first load's size and speed, sign-in, traffic on the charts and in the request log
// within 5 s, a limit set in the page that the very next request obeys, a cooldown counting down, enable /
// disable, keys, keyboard and screen-reader access, phones and dark mode, and an unreachable gateway.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { APIError } from "openai";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminClient } from "../../admin-client/index.ts";
import { axeViolations, freshContext, horizontalOverflow, launchChromium, SCREENSHOTS, screenshot, waitReady } from "./browser.ts";
import { freePort, sleep, uniquePrompt, useStack } from "./harness.ts";

const ADMIN_TOKEN = "e2e-dashboard-token-7d1f";
const stack = useStack({ ADMIN_TOKEN, LOG_FLUSH_MS: "100" });

/** What the issue promises: traffic on screen within 5 s, a first load under 300 KB that is interactive in 1 s. */
const LIVE_MS = 5000;
const FIRST_LOAD_BYTES = 300 * 1024;
const INTERACTIVE_MS = 1000;

// One model per scenario, so one test's limits, cooldowns and refusals cannot reach another's.
const LIMITED = { id: "groq/llama-3.1-8b-instant", provider: "groq", upstream: "llama-3.1-8b-instant" };
const COOLED = { id: "groq/openai/gpt-oss-20b", provider: "groq", upstream: "openai/gpt-oss-20b" };
const SWITCHED = { id: "sambanova/DeepSeek-V3.1", provider: "sambanova", upstream: "DeepSeek-V3.1" };
const FLAKY = { id: "sambanova/Meta-Llama-3.3-70B-Instruct", provider: "sambanova", upstream: "Meta-Llama-3.3-70B-Instruct" };
const STEADY = { id: "workers-ai/@cf/meta/llama-3.2-1b-instruct", provider: "workers-ai", upstream: "@cf/meta/llama-3.2-1b-instruct" };
const BROKEN = { id: "sambanova/MiniMax-M2.5", provider: "sambanova", upstream: "MiniMax-M2.5" };
const CEREBRAS = "cerebras/gpt-oss-120b";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const url = (hash = ""): string => `${stack.url}/dashboard${hash}`;

/** A chat request through the OpenAI SDK: the HTTP status the caller got (and its Retry-After on a refusal). */
async function ask(model: string | string[], opts: { id?: string; key?: string } = {}): Promise<{ status: number; retryAfter: string | null }> {
  const client = opts.key ? stack.client.withOptions({ apiKey: opts.key }) : stack.client;
  const body = { model: Array.isArray(model) ? (model[0] as string) : model, ...(Array.isArray(model) ? { models: model } : {}), messages: [{ role: "user" as const, content: uniquePrompt("dash") }] };
  try {
    await client.chat.completions.create(body, opts.id ? { headers: { "x-request-id": opts.id } } : {});
    return { status: 200, retryAfter: null };
  } catch (e) {
    if (e instanceof APIError) return { status: e.status ?? 0, retryAfter: e.headers?.get("retry-after") ?? null };
    throw e;
  }
}

async function signedIn(hash: string, opts: Parameters<typeof freshContext>[1] = {}): Promise<Page> {
  const ctx = await freshContext(browser, { token: ADMIN_TOKEN, ...opts });
  const page = await ctx.newPage();
  await page.goto(url(hash));
  await waitReady(page);
  return page;
}

/** Wait (up to `ms`) until `read` gives a value `ok` accepts; returns it and how long that took. */
async function within<T>(ms: number, read: () => Promise<T>, ok: (v: T) => boolean): Promise<{ value: T; after: number }> {
  const start = Date.now();
  let value = await read();
  while (!ok(value)) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms; last seen: ${JSON.stringify(value)}`);
    await sleep(100);
    value = await read();
  }
  return { value, after: Date.now() - start };
}

/** The "Models" table row of one model (its row header is the model id). */
function modelRow(page: Page, id: string): Locator {
  return page.getByRole("region", { name: "Models", exact: true }).getByRole("row").filter({ has: page.getByRole("rowheader", { name: id, exact: true }) });
}

async function showModel(page: Page, id: string): Promise<Locator> {
  await page.getByRole("searchbox", { name: "Search" }).fill(id);
  const row = modelRow(page, id);
  await row.waitFor();
  return row;
}

/** The model dialog's "Limits in force" line. */
async function inForce(dialog: Locator): Promise<string> {
  return (await dialog.locator(".facts > div", { hasText: "Limits in force" }).locator("dd").textContent()) ?? "";
}

async function confirm(page: Page, button: string): Promise<void> {
  const dialog = page.getByRole("alertdialog");
  await dialog.getByRole("button", { name: button, exact: true }).click();
  await dialog.waitFor({ state: "hidden" });
}

interface FirstLoad {
  /** every response body the load fetched, as it crossed the wire (compressed) */
  bytes: number;
  decoded: number;
  files: string[];
  /** navigation start → the page answers input / → its first data is on screen */
  interactiveMs: number;
  readyMs: number;
  encodings: Record<string, string | null>;
}

/** One first load of /dashboard in a fresh browser profile (signed in when given a token). */
async function firstLoad(token: string | undefined): Promise<FirstLoad> {
  const ctx = await freshContext(browser, token ? { token } : {});
  const page = await ctx.newPage();
  const encodings: Record<string, string | null> = {};
  page.on("response", (r) => {
    if (r.url().includes("/dashboard")) encodings[new URL(r.url()).pathname] = r.headers()["content-encoding"] ?? null;
  });
  await page.goto(url());
  await waitReady(page);
  const m = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    const res = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
    return {
      bytes: nav.encodedBodySize + res.reduce((n, r) => n + r.encodedBodySize, 0),
      decoded: nav.decodedBodySize + res.reduce((n, r) => n + r.decodedBodySize, 0),
      files: [nav.name, ...res.map((r) => r.name)].map((n) => new URL(n).pathname),
      interactiveMs: performance.getEntriesByName("freeway:interactive")[0]?.startTime ?? Infinity,
      readyMs: performance.getEntriesByName("freeway:ready")[0]?.startTime ?? Infinity,
    };
  });
  await ctx.close();
  return { ...m, encodings };
}

describe("the dashboard in Chromium", () => {
  it("loads under 300 KB compressed and is interactive in under 1 s, public and signed in", async () => {
    // The server warm (its actors exist, as on any gateway that has served a request); the browser cold: every
    // load in a fresh profile with an empty cache. Times are the median of three loads, so one stall of a busy
    // machine does not decide; sizes are the largest seen.
    const admin = createAdminClient({ url: stack.url, token: ADMIN_TOKEN });
    const warm = async (): Promise<void> => {
      for (const path of ["/v1/routing/status", "/v1/analytics", "/dashboard"]) await (await fetch(`${stack.url}${path}`)).arrayBuffer();
      await admin.analytics.summary.query({});
    };
    await warm();
    await firstLoad(undefined); // the browser process's own first navigation, not measured
    const report: Record<string, unknown> = {};
    for (const [name, token] of [["public", undefined], ["signed in", ADMIN_TOKEN]] as const) {
      const loads: FirstLoad[] = [];
      for (let i = 0; i < 3; i++) {
        await warm();
        loads.push(await firstLoad(token));
      }
      const median = (pick: (l: FirstLoad) => number): number => loads.map(pick).sort((a, b) => a - b)[1] as number;
      const m = { bytes: Math.max(...loads.map((l) => l.bytes)), decoded: Math.max(...loads.map((l) => l.decoded)), interactiveMs: median((l) => l.interactiveMs), readyMs: median((l) => l.readyMs), loads };
      report[name] = m;
      expect(m.bytes).toBeLessThan(FIRST_LOAD_BYTES);
      expect(m.interactiveMs).toBeLessThan(INTERACTIVE_MS);
      expect(m.readyMs).toBeLessThan(INTERACTIVE_MS);
      for (const l of loads) {
        // Nothing from another origin, and the page and its bundles arrive gzipped.
        expect(l.files.every((f) => f.startsWith("/dashboard") || f.startsWith("/v1/") || f.startsWith("/admin/trpc/"))).toBe(true);
        for (const [path, enc] of Object.entries(l.encodings)) if (/\.(js|css)$/.test(path) || path === "/dashboard") expect(enc, path).toBe("gzip");
      }
    }
    writeFileSync(join(SCREENSHOTS, "first-load.json"), JSON.stringify(report, null, 2));
    const brief = Object.entries(report).map(([k, v]) => {
      const m = v as { bytes: number; interactiveMs: number; readyMs: number };
      return `${k}: ${(m.bytes / 1024).toFixed(1)} KB compressed, interactive ${Math.round(m.interactiveMs)} ms, data on screen ${Math.round(m.readyMs)} ms`;
    });
    console.log(`dashboard first load (median of 3): ${brief.join("; ")}`);
  });

  it("shows only the public summary without a token", async () => {
    const ctx = await freshContext(browser);
    const page = await ctx.newPage();
    await page.goto(url("#requests"));
    await waitReady(page);
    await expect.poll(() => page.getByRole("heading", { name: "Public summary" }).isVisible()).toBe(true);
    expect(await page.getByRole("navigation", { name: "Views" }).count()).toBe(0);
    expect(await page.getByRole("heading", { name: "Requests", exact: true }).count()).toBe(0);
    await page.getByRole("region", { name: "Providers", exact: true }).getByRole("rowheader", { name: "Groq" }).waitFor();
    await modelRow(page, LIMITED.id).waitFor();
    // No actions without the token.
    expect(await page.getByRole("button", { name: /^Manage / }).count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
    await screenshot(page, "public");
    await ctx.close();
  });

  it("signs in with the admin token, keeps it for this tab only, and refuses a wrong one", async () => {
    const ctx = await freshContext(browser);
    const page = await ctx.newPage();
    await page.goto(url());
    await waitReady(page);
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").filter({ hasText: "That token was refused" }).isVisible()).toBe(true);

    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    const nav = page.getByRole("navigation", { name: "Views" });
    await nav.waitFor();
    for (const name of ["Overview", "Providers and models", "Requests", "Keys"]) expect(await nav.getByRole("link", { name }).isVisible()).toBe(true);
    await page.getByRole("heading", { name: "Overview", level: 2 }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("freeway.adminToken"))).toBe(ADMIN_TOKEN);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await ctx.cookies()).toEqual([]);

    // Another tab of the same browser does not have it.
    const other = await ctx.newPage();
    await other.goto(url());
    await other.getByRole("button", { name: "Sign in" }).waitFor();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("freeway.adminToken"))).toBeNull();
    await ctx.close();
  });

  it("shows traffic sent through the gateway on the overview's charts within 5 s", async () => {
    const page = await signedIn("#overview");
    const summary = page.locator("figure", { hasText: "Requests per minute" }).locator(".chart-summary");
    const hourly = async (): Promise<number> => Number(/^([\d,]+) requests? in the last hour/.exec((await summary.textContent()) ?? "")?.[1]?.replace(/,/g, "") ?? NaN);
    const before = await hourly();
    expect(before).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 3; i++) expect((await ask("auto")).status).toBe(200);
    const sent = Date.now();
    const seen = await within(LIVE_MS, hourly, (n) => n >= before + 3);
    const lag = Date.now() - sent;
    expect(lag).toBeLessThan(LIVE_MS);
    // The bars carry the minute and the count; the header says when the page last heard from the gateway.
    expect(await page.locator("figure", { hasText: "Requests per minute" }).locator("svg title").last().textContent()).toMatch(/^\d\d:\d\d — succeeded \d+/);
    expect(await page.getByTestId("last-updated").textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await page.locator("figure", { hasText: "Tokens per minute" }).locator(".chart-summary").textContent()).toMatch(/^[1-9][\d,]* tokens in the last hour/);
    console.log(`overview: ${seen.value - before} new requests on the chart ${lag} ms after they finished`);
    await screenshot(page, "overview");
    await page.context().close();
  });

  it("lists each request with the chain of models it tried, within 5 s, filterable by status, model and key", async () => {
    const page = await signedIn("#requests");
    const admin = createAdminClient({ url: stack.url, token: ADMIN_TOKEN });
    const { key, record } = await admin.keys.create.mutate({ label: "dash-log" });
    const tag = Date.now().toString(36);
    const ids = { chain: `dash-chain-${tag}`, plain: `dash-plain-${tag}`, failed: `dash-failed-${tag}`, keyed: `dash-keyed-${tag}` };

    // The first choice fails once: the request is answered by the second, and the log shows both.
    stack.sim.addRule({ provider: FLAKY.provider, model: FLAKY.upstream, times: 1, fault: { kind: "status", status: 500 } });
    expect((await ask([FLAKY.id, STEADY.id], { id: ids.chain })).status).toBe(200);
    expect((await ask(STEADY.id, { id: ids.plain })).status).toBe(200);
    stack.sim.addRule({ provider: BROKEN.provider, model: BROKEN.upstream, times: 1, fault: { kind: "status", status: 500 } });
    expect((await ask(BROKEN.id, { id: ids.failed })).status).toBeGreaterThanOrEqual(500);
    expect((await ask(STEADY.id, { id: ids.keyed, key })).status).toBe(200);
    const sent = Date.now();

    const log = page.getByRole("region", { name: "Request log, newest first" });
    const row = (id: string): Locator => log.getByRole("row").filter({ has: page.getByRole("rowheader", { name: id }) });
    const all = await within(LIVE_MS, async () => Promise.all(Object.values(ids).map((id) => row(id).count())), (c) => c.every((n) => n === 1));
    expect(Date.now() - sent).toBeLessThan(LIVE_MS);
    console.log(`request log: 4 requests listed ${all.after} ms after the last finished`);

    const chain = row(ids.chain);
    const tried = chain.getByRole("list", { name: "2 attempts" }).getByRole("listitem");
    expect(await tried.allTextContents()).toEqual([`${FLAKY.id} transient`, `${STEADY.id} ok`]);
    expect(await chain.locator("time").textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await row(ids.keyed).textContent()).toContain("dash-log");
    await screenshot(page, "requests");

    const filters = page.getByRole("group", { name: "Filter requests" });
    await filters.getByLabel("Status").selectOption("error");
    await within(LIVE_MS, async () => [await row(ids.failed).count(), await row(ids.plain).count()], ([f, p]) => f === 1 && p === 0);
    await filters.getByLabel("Status").selectOption("");
    await filters.getByLabel("Answered by").fill(STEADY.id);
    await within(LIVE_MS, async () => [await row(ids.plain).count(), await row(ids.failed).count()], ([p, f]) => p === 1 && f === 0);
    await filters.getByLabel("Answered by").fill("");
    await filters.getByLabel("Key").selectOption(record.id);
    await within(LIVE_MS, async () => [await row(ids.keyed).count(), await row(ids.plain).count()], ([k, p]) => k === 1 && p === 0);
    await page.context().close();
  });

  it("sets a limit with confirmation, and the very next request obeys it", async () => {
    expect((await ask(LIMITED.id)).status).toBe(200); // one request today
    const page = await signedIn("#models");
    await showModel(page, LIMITED.id);
    await page.getByRole("button", { name: `Manage ${LIMITED.id}` }).click();
    const dialog = page.getByRole("dialog", { name: LIMITED.id });
    await dialog.getByLabel("Requests per day").fill("1");
    await dialog.getByRole("button", { name: "Save limits" }).click();
    // Nothing changes until the operator confirms.
    await page.getByRole("alertdialog", { name: `Set limits for ${LIMITED.id}?` }).waitFor();
    await confirm(page, "Set limits");
    await expect.poll(() => page.getByRole("status").textContent()).toContain(`Limits of ${LIMITED.id} are now`);
    await expect.poll(() => inForce(dialog)).toMatch(/rpd 1( ·|$)/);

    const refused = await ask(LIMITED.id);
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    await screenshot(page, "models-limits");

    await dialog.getByRole("button", { name: "Close" }).click();
    await expect.poll(() => modelRow(page, LIMITED.id).getByRole("cell").nth(6).textContent(), { timeout: LIVE_MS }).toContain("0 of 1 today");

    // Raised: the next request is allowed again.
    await page.getByRole("button", { name: `Manage ${LIMITED.id}` }).click();
    await dialog.getByLabel("Requests per day").fill("500");
    await dialog.getByRole("button", { name: "Save limits" }).click();
    await confirm(page, "Set limits");
    await expect.poll(() => inForce(dialog)).toMatch(/rpd 500( ·|$)/);
    expect((await ask(LIMITED.id)).status).toBe(200);
    await expect.poll(() => modelRow(page, LIMITED.id).getByRole("cell").nth(6).textContent(), { timeout: LIVE_MS }).toContain("498 of 500 today");

    // Cleared: back to the catalog's allowance.
    await dialog.getByRole("button", { name: "Clear overrides" }).click();
    await confirm(page, "Clear overrides");
    await expect.poll(() => inForce(dialog)).toMatch(/rpd 14,400( ·|$)/);
    expect((await ask(LIMITED.id)).status).toBe(200);
    await page.context().close();
  });

  it("counts a cooldown down, and a reset frees the model at once", async () => {
    stack.sim.addRule({ provider: COOLED.provider, model: COOLED.upstream, times: 1, fault: { kind: "rate_limit", retryAfter: 30 } });
    expect((await ask(COOLED.id)).status).not.toBe(200);
    const page = await signedIn("#models");
    const row = await showModel(page, COOLED.id);
    await expect.poll(() => row.getByText("Cooling down").isVisible(), { timeout: LIVE_MS }).toBe(true);
    const countdown = row.locator("time.countdown");
    const seconds = async (): Promise<number> => Number(/^(\d+) s$/.exec((await countdown.textContent()) ?? "")?.[1] ?? NaN);
    const first = await seconds();
    expect(first).toBeGreaterThan(20);
    expect(first).toBeLessThanOrEqual(30);
    await sleep(2100);
    const later = await seconds();
    expect(later).toBeLessThanOrEqual(first - 2);
    expect(later).toBeGreaterThan(0);
    // Unfiltered, the table puts what needs attention first: the cooling model leads.
    await page.getByRole("searchbox", { name: "Search" }).fill("");
    await expect.poll(() => page.getByRole("region", { name: "Models", exact: true }).getByRole("rowheader").first().textContent()).toBe(COOLED.id);
    await page.getByRole("heading", { name: "Models", exact: true }).evaluate((h) => h.scrollIntoView());
    await screenshot(page, "models");

    await page.getByRole("button", { name: `Manage ${COOLED.id}` }).click();
    const dialog = page.getByRole("dialog", { name: COOLED.id });
    await dialog.getByRole("button", { name: "Reset cooldown" }).click();
    await confirm(page, "Reset cooldown");
    await expect.poll(() => dialog.getByText("Ready", { exact: true }).isVisible()).toBe(true);
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect.poll(() => row.getByText("Ready", { exact: true }).isVisible(), { timeout: LIVE_MS }).toBe(true);
    expect((await ask(COOLED.id)).status).toBe(200);
    await page.context().close();
  });

  it("disables and enables a model and a whole provider, and the next request obeys", async () => {
    const page = await signedIn("#models");
    const row = await showModel(page, SWITCHED.id);
    await page.getByRole("button", { name: `Manage ${SWITCHED.id}` }).click();
    const dialog = page.getByRole("dialog", { name: SWITCHED.id });
    await dialog.getByRole("button", { name: "Disable model" }).click();
    await confirm(page, "Disable model");
    await dialog.getByRole("button", { name: "Enable model" }).waitFor();
    expect((await ask(SWITCHED.id)).status).toBe(503);
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect.poll(() => row.getByText("Disabled").isVisible(), { timeout: LIVE_MS }).toBe(true);
    await page.getByRole("button", { name: `Manage ${SWITCHED.id}` }).click();
    await dialog.getByRole("button", { name: "Enable model" }).click();
    await confirm(page, "Enable model");
    await dialog.getByRole("button", { name: "Disable model" }).waitFor();
    expect((await ask(SWITCHED.id)).status).toBe(200);
    await dialog.getByRole("button", { name: "Close" }).click();

    const providers = page.getByRole("region", { name: "Providers", exact: true });
    const cerebras = providers.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Cerebras" }) });
    await page.getByRole("button", { name: "Disable provider Cerebras" }).click();
    await confirm(page, "Disable provider");
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Cerebras: 3 models disabled");
    await expect.poll(() => cerebras.getByRole("cell").nth(4).textContent(), { timeout: LIVE_MS }).toBe("3");
    expect((await ask(CEREBRAS)).status).toBe(503);
    await page.getByRole("button", { name: "Enable provider Cerebras" }).click();
    await confirm(page, "Enable provider");
    await expect.poll(() => cerebras.getByRole("cell").nth(4).textContent(), { timeout: LIVE_MS }).toBe("0");
    expect((await ask(CEREBRAS)).status).toBe(200);
    await page.context().close();
  });

  it("creates a key (shown once), sets its quota and revokes it", async () => {
    const page = await signedIn("#keys");
    const form = page.getByRole("form", { name: "New gateway key" });
    await form.getByLabel("Label").fill("dash-e2e");
    await form.getByLabel("Requests per minute").fill("5");
    await form.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByRole("status").filter({ hasText: "copy it now" });
    await shown.waitFor();
    const key = (await page.getByLabel("New key").textContent()) ?? "";
    expect(key).toMatch(/^fw_/);
    expect((await ask(STEADY.id, { key })).status).toBe(200);

    const keys = page.getByRole("region", { name: "Gateway keys" });
    const row = keys.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "dash-e2e" }) });
    await row.waitFor();
    expect(await row.textContent()).toContain("rpm 5");
    await screenshot(page, "keys");
    await page.getByRole("button", { name: "Edit quota of dash-e2e" }).click();
    await page.getByRole("dialog", { name: 'Quota of "dash-e2e"' }).getByLabel("Requests per minute").fill("1");
    await page.getByRole("button", { name: "Save quota" }).click();
    await confirm(page, "Set quota");
    await expect.poll(() => row.textContent(), { timeout: LIVE_MS }).toContain("rpm 1");

    await page.getByRole("button", { name: "Revoke dash-e2e" }).click();
    await confirm(page, "Revoke key");
    await expect.poll(() => row.textContent(), { timeout: LIVE_MS }).toContain("revoked");
    expect((await ask(STEADY.id, { key })).status).toBe(401);
    await page.context().close();
  });

  it("works from the keyboard alone, with names for screen readers and no axe-core violations", async () => {
    const page = await signedIn("#overview");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");

    // From the top of a freshly loaded page, Tab reaches the views; Enter opens one.
    await page.reload();
    await waitReady(page);
    let found = false;
    for (let i = 0; i < 12 && !found; i++) {
      await page.keyboard.press("Tab");
      found = (await page.evaluate(() => document.activeElement?.textContent)) === "Providers and models";
    }
    expect(found).toBe(true);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Providers and models", level: 2 }).waitFor();
    expect(await page.getByRole("link", { name: "Providers and models" }).getAttribute("aria-current")).toBe("page");

    // Column headers sort from the keyboard and say so.
    await page.getByRole("region", { name: "Models", exact: true }).getByRole("button", { name: "Latency (EWMA)" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByRole("columnheader", { name: "Latency (EWMA)" }).getAttribute("aria-sort")).toBe("ascending");

    // A dialog opens on Enter, holds the focus, closes on Escape and gives the focus back.
    const manage = page.getByRole("button", { name: `Manage ${STEADY.id}` });
    await page.getByRole("searchbox", { name: "Search" }).fill(STEADY.id);
    await manage.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: STEADY.id });
    await dialog.getByLabel("Requests per minute").waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest("dialog"))).toBe(true);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(`Manage ${STEADY.id}`);

    for (const view of ["overview", "models", "requests", "keys"]) {
      await page.goto(url(`#${view}`));
      await page.getByRole("heading", { level: 2 }).first().waitFor();
      await page.locator("main .loading").waitFor({ state: "detached" });
      expect(await axeViolations(page), view).toEqual([]);
    }
    await page.context().close();
  });

  it("fits a 375 px phone and a wide screen, in dark and light, without sideways scrolling", async () => {
    for (const [name, viewport, colorScheme] of [
      ["phone-dark", { width: 375, height: 812 }, "dark"],
      ["wide-light", { width: 1920, height: 1080 }, "light"],
    ] as const) {
      const page = await signedIn("#overview", { viewport, colorScheme });
      expect(await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches)).toBe(colorScheme === "dark");
      for (const view of ["overview", "models", "requests", "keys"]) {
        await page.goto(url(`#${view}`));
        await page.locator("main .loading").waitFor({ state: "detached" });
        await page.getByRole("heading", { level: 2 }).first().waitFor();
        expect(await horizontalOverflow(page), `${name} ${view}`).toBe(0);
        if (name === "phone-dark") {
          expect(await axeViolations(page), `${name} ${view}`).toEqual([]);
          await screenshot(page, `${name}-${view}`);
        }
      }
      // The public view too.
      const ctx = await freshContext(browser, { viewport, colorScheme });
      const pub = await ctx.newPage();
      await pub.goto(url());
      await pub.getByRole("region", { name: "Models", exact: true }).waitFor();
      expect(await horizontalOverflow(pub), `${name} public`).toBe(0);
      if (name === "phone-dark") {
        expect(await axeViolations(pub), `${name} public`).toEqual([]);
        await screenshot(pub, `${name}-public`);
      }
      await ctx.close();
      await page.context().close();
    }
  });

  it("shows a banner while the gateway is unreachable, keeps retrying, and recovers without a reload", async () => {
    const page = await signedIn("#overview");
    await screenshot(page, "overview-final"); // after every test's traffic, failures and failovers
    const updated = page.getByTestId("last-updated");
    const lastGood = await updated.textContent();
    // Point the page's API calls at a port nobody listens on: the browser gets a refused connection.
    const closed = await freePort();
    await page.route("**/admin/trpc/**", (route) => {
      const u = new URL(route.request().url());
      u.port = String(closed);
      return route.continue({ url: u.toString() });
    });
    const banner = page.getByRole("alert").filter({ hasText: "The gateway is unreachable." });
    await banner.waitFor({ timeout: LIVE_MS });
    expect(await banner.textContent()).toMatch(/Showing data from \d\d:\d\d:\d\d\. Retrying in/);
    // The data already on screen stays.
    expect(await page.locator("figure", { hasText: "Requests per minute" }).count()).toBe(1);
    await screenshot(page, "unreachable");

    await page.unroute("**/admin/trpc/**");
    await banner.waitFor({ state: "detached", timeout: LIVE_MS });
    await expect.poll(() => updated.textContent(), { timeout: LIVE_MS }).not.toBe(lastGood);
    await page.context().close();
  });
});
