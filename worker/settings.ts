// Numeric settings of the request path, read once per settings object (names and defaults: shared/settings.ts).

import { TUNING } from "../shared/settings.ts";
import type { Env } from "./env.ts";

export type Settings = Record<(typeof TUNING)[number]["key"], number>;

const cache = new WeakMap<object, Settings>();

export function settingsFor(env: Env): Settings {
  const hit = cache.get(env);
  if (hit) return hit;
  const s = Object.fromEntries(TUNING.map((t) => [t.key, t.default])) as Settings;
  for (const t of TUNING) {
    const raw = env[t.name];
    const n = typeof raw === "string" || typeof raw === "number" ? Number(raw) : NaN;
    if (Number.isFinite(n) && n > 0) s[t.key] = Math.floor(n);
  }
  cache.set(env, s);
  return s;
}
