// A small argv parser: long flags (`--rpm 30`, `--rpm=30`), `-h`, `--` and positionals; strict about unknown
// flags and missing values, so every mistake is a usage error (exit 2) before anything is sent.

import { UsageError } from "./errors.ts";

export interface FlagSpec {
  type: "boolean" | "string";
  /** placeholder shown in help, e.g. "N" */
  value?: string;
  short?: string;
  help: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export type FlagValues = Record<string, string | boolean | undefined>;

export interface Parsed {
  flags: FlagValues;
  positionals: string[];
}

/**
 * Parses `argv` against `specs`. Loose mode (used to find the command before its flags are known) skips
 * flags it does not know instead of refusing them.
 */
export function parseArgv(argv: readonly string[], specs: FlagSpecs, mode: "strict" | "loose" = "strict"): Parsed {
  const flags: FlagValues = {};
  const positionals: string[] = [];
  const shorts = new Map(Object.entries(specs).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === "-" || !token.startsWith("-")) {
      positionals.push(token);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      name = eq < 0 ? token.slice(2) : token.slice(2, eq);
      inline = eq < 0 ? undefined : token.slice(eq + 1);
    } else {
      const long = shorts.get(token.slice(1));
      if (long === undefined) {
        if (mode === "loose") continue;
        throw new UsageError(`unknown option '${token}'`);
      }
      name = long;
    }
    const spec = specs[name];
    if (!spec) {
      if (mode === "loose") continue;
      throw new UsageError(`unknown option '--${name}'`);
    }
    if (spec.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`option '--${name}' takes no value`);
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith("--"))) throw new UsageError(`option '--${name}' needs a value`);
    if (inline === undefined) i++;
    flags[name] = value;
  }
  return { flags, positionals };
}

/** A string flag's value, if given. */
export function str(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

/** A whole number ≥ 1 (limits and quotas), or a usage error naming the flag. */
export function positiveInt(name: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${name} must be a whole number of at least 1, not '${value}'`);
  }
  return Number(value);
}

/** The flags among `names` that were given, as positive whole numbers. */
export function intFlags<K extends string>(flags: FlagValues, names: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const n of names) {
    const v = str(flags, n);
    if (v !== undefined) out[n] = positiveInt(n, v);
  }
  return out;
}

/** "a,b, c" → ["a", "b", "c"] (empty entries dropped). */
export function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
