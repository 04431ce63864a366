// What a command is: its words, help, flags and a run function over the context main.ts builds.

import type { AdminClient } from "../index.ts";
import type { FlagSpecs, Parsed } from "./args.ts";
import type { Palette } from "./table.ts";

export interface Ctx {
  admin: AdminClient;
  /** the gateway's URL (never the token) */
  url: string;
  json: boolean;
  color: boolean;
  c: Palette;
  now(): number;
  /** a line (or lines) on stdout */
  out(text: string): void;
  /** a remark for people on stderr; silent with --json */
  note(text: string): void;
  /** an admin call, with a spinner on a terminal if it takes more than a second */
  call<T>(label: string, work: () => Promise<T>): Promise<T>;
  /** the result: the JSON itself with --json, else what `human` makes of it */
  emit<T>(result: T, human: (r: T) => string): void;
  /** aborted when the user presses Ctrl-C */
  interrupted: AbortSignal;
  /** a file's text, or stdin's for "-" */
  readInput(path: string): Promise<string>;
}

export interface Command {
  /** the words that name it, e.g. "limits set" */
  name: string;
  /** its positional arguments as help shows them, e.g. "<model>" */
  args?: string;
  /** how many positional arguments it takes: [at least, at most] */
  arity?: [number, number];
  /** one line for the command index */
  summary: string;
  /** what --help adds below the usage line */
  details?: string;
  flags?: FlagSpecs;
  examples?: string[];
  /** runs until Ctrl-C, which ends it cleanly (exit 0) rather than killing it */
  untilInterrupted?: boolean;
  run(ctx: Ctx, input: Parsed): Promise<void>;
}
