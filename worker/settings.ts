// Numeric settings of the request path, read once per settings object (names and defaults: shared/settings.ts).

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
    const n = typeof raw === "string" || typeof raw === "number" ? Number(raw) : NaN;
    const min = "min" in t ? t.min : 1;
    const max = "max" in t ? t.max : Infinity;
    if (Number.isFinite(n) && n >= min && n <= max) s[t.key] = Math.floor(n);
  }
  cache.set(env, s);
  return s;
}
