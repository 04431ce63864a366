// Numeric settings of the request path, read once per settings object (names and defaults: shared/settings.ts).

import { PROVIDERS } from "../shared/catalog/providers.ts";
import { TUNING } from "../shared/settings.ts";
import type { Env } from "./env.ts";

type Tuning = Record<(typeof TUNING)[number]["key"], number>;

export type Settings = Tuning & {
  /** DAILY_PACING is not "off" */
  dailyPacing: boolean;
};

const cache = new WeakMap<object, Settings>();

export function settingsFor(env: Env): Settings {
  const hit = cache.get(env);
  if (hit) return hit;
  const s: Settings = { ...(Object.fromEntries(TUNING.map((t) => [t.key, t.default])) as Tuning), dailyPacing: env.DAILY_PACING !== "off" };
  for (const t of TUNING) {
    const raw = env[t.name];
    // An empty value is no value (as settingProblems and npm start read it): Number("") would be 0.
    const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
    const min = "min" in t ? t.min : 1;
    const max = "max" in t ? t.max : Infinity;
    if (Number.isFinite(n) && n >= min && n <= max) s[t.key] = Math.floor(n);
  }
  cache.set(env, s);
  return s;
}

/** The words a setting may take, where it takes words; anything else is a mistake, said on /health. */
const CHOICES: Record<string, readonly string[]> = {
  ACCESS: ["keys", "open"],
  DAILY_PACING: ["on", "off"],
  TRUST_FORWARDED_FOR: ["true", "1", "false", "0"],
};

const problemCache = new WeakMap<object, string[]>();

/**
 * Settings whose value freeway cannot use, each with what applies instead: a mistyped setting must not go
 * unnoticed (/health lists these, and `npm start` / `npm run serve` print them). Values of non-secret settings
 * only; a base URL is not repeated (it may carry credentials).
 */
export function settingProblems(env: Env): string[] {
  const hit = problemCache.get(env);
  if (hit) return hit;
  const out: string[] = [];
  const given = (name: string): string | undefined => {
    const v = (env as unknown as Record<string, unknown>)[name];
    return typeof v === "string" && v.trim() !== "" ? v : typeof v === "number" ? String(v) : undefined;
  };
  for (const t of TUNING) {
    const raw = given(t.name);
    if (raw === undefined) continue;
    const n = Number(raw);
    const min = "min" in t ? t.min : 1;
    const max = "max" in t ? t.max : Infinity;
    if (!(Number.isFinite(n) && n >= min && n <= max)) {
      out.push(`${t.name} is '${raw.slice(0, 40)}', not a number from ${min}${max === Infinity ? " up" : ` to ${max}`}: the default ${t.default} applies`);
    }
  }
  for (const name of ["ANON_BURST", "ANON_RPM"]) {
    const raw = given(name);
    if (raw !== undefined && !(Number(raw) > 0)) out.push(`${name} is '${raw.slice(0, 40)}', not a positive number: the default applies`);
  }
  for (const [name, words] of Object.entries(CHOICES)) {
    const raw = given(name);
    if (raw !== undefined && !words.includes(raw)) out.push(`${name} is '${raw.slice(0, 40)}', none of ${words.map((w) => `"${w}"`).join(", ")}: ${name === "ACCESS" ? 'the gateway stays closed ("keys")' : "the default applies"}`);
  }
  for (const p of PROVIDERS) {
    const raw = given(p.baseUrlEnv);
    if (raw === undefined) continue;
    let ok = false;
    try {
      const u = new URL(raw.replace("{CLOUDFLARE_ACCOUNT_ID}", "account"));
      ok = u.protocol === "http:" || u.protocol === "https:";
    } catch {
      ok = false;
    }
    if (!ok) out.push(`${p.baseUrlEnv} is not an http(s) URL: every call to ${p.name} will fail`);
  }
  problemCache.set(env, out);
  return out;
}
