// Browser-test helpers: Debian's Chromium driven by playwright-core (never a downloaded browser), screenshots into
// test-results/dashboard/, and the checks every view gets — axe-core's accessibility rules, no sideways scrolling.
// The functions handed to page.evaluate run in the browser, so they are typed against the DOM:
/// <reference lib="dom" />

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);

/** Installed by `.ci/run` (`apt-get install chromium`); a test tool never downloads one. */
export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(ROOT, "test-results", "dashboard");

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium), as .ci/run does.`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    // The closed network refuses Chromium's background calls home; these flags keep it from making them.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

const SESSION_KEY = "freeway.adminToken";

/** A fresh browser profile (no cache, no storage); with `token`, every tab of it starts signed in. */
export async function freshContext(browser: Browser, opts: BrowserContextOptions & { token?: string } = {}): Promise<BrowserContext> {
  const { token, ...rest } = opts;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...rest });
  if (token) await ctx.addInitScript(([k, t]) => sessionStorage.setItem(k, t), [SESSION_KEY, token] as const);
  return ctx;
}

/** Resolves once the dashboard has its first data on screen (the app's "freeway:ready" mark). */
export async function waitReady(page: Page, timeout = 15_000): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset["ready"] === "true", null, { timeout });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** How many CSS pixels the page is wider than its viewport (0: no sideways scrolling). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core's WCAG 2.1 A/AA rules on the page as it is now. Evaluated through the DevTools protocol, which the
 * page's content security policy (script-src 'self') does not apply to.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    type Result = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> };
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<Result> } }).axe;
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) }));
  });
}
