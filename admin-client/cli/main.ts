// The CLI's I/O: environment, stdout/stderr, colour, spinner, Ctrl-C, and the one place errors become exit codes.

import { readFile } from "node:fs/promises";
import { createAdminClient } from "../index.ts";
import { str } from "./args.ts";
import type { Ctx } from "./command.ts";
import { COMMANDS } from "./commands/index.ts";
import { resolve } from "./dispatch.ts";
import { classify, EXIT, UsageError } from "./errors.ts";
import { PROGRAM } from "./help.ts";
import { withSpinner } from "./spinner.ts";
import { terminalSafe } from "./format.ts";
import { palette } from "./table.ts";
import { guardedFetch } from "./transport.ts";

const DEFAULT_URL = "http://127.0.0.1:8787";
/** Longest wait for one admin call before the gateway counts as unreachable. */
const CALL_TIMEOUT_MS = 30_000;

function gatewayUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`the gateway URL '${text}' is not a URL (e.g. http://127.0.0.1:8787)`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`the gateway URL must be http or https, not '${u.protocol}'`);
  return u.origin + u.pathname.replace(/\/+$/, "");
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function main(argv: readonly string[]): Promise<number> {
  // A reader that goes away (`| head`) is not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(EXIT.ok);
    throw e;
  });
  const fail = (message: string, code: number): number => {
    process.stderr.write(`${PROGRAM}: ${terminalSafe(message)}\n`);
    return code;
  };
  try {
    const resolved = resolve(argv, COMMANDS);
    if (resolved.kind === "help") {
      if (resolved.code === 0) process.stdout.write(`${resolved.text}\n`);
      else process.stderr.write(`${PROGRAM}: ${resolved.error ?? "usage"}\n\n${resolved.text}\n`);
      return resolved.code;
    }
    const { cmd, input } = resolved;
    const env = process.env;
    const json = input.flags["json"] === true;
    const color = !json && process.stdout.isTTY === true && !env["NO_COLOR"] && input.flags["no-color"] !== true;
    const url = gatewayUrl(str(input.flags, "url") ?? (env["FREEWAY_URL"] || DEFAULT_URL));
    const token = str(input.flags, "token") ?? env["FREEWAY_ADMIN_TOKEN"] ?? "";
    // A header cannot carry it: say so here, before fetch refuses it with a message that quotes the token.
    if (/[^\x21-\x7e]/.test(token)) {
      throw new UsageError("the admin token (--token or FREEWAY_ADMIN_TOKEN) contains a space, a line break or another character a header cannot carry; check how it was set");
    }
    const operator = str(input.flags, "operator");
    // Sent as a header too: one fetch refuses would read as "cannot reach the gateway" (exit 3).
    if (operator !== undefined && /[^\x20-\x7e]/.test(operator)) {
      throw new UsageError("--operator must be plain ASCII (no accents, other scripts or line breaks): it is sent as a header and recorded in the audit log");
    }
    const admin = createAdminClient({ url, token, fetch: guardedFetch(url, CALL_TIMEOUT_MS), ...(operator ? { operator } : {}) });

    const interrupt = new AbortController();
    process.once("SIGINT", () => {
      interrupt.abort();
      // Only a live command ends cleanly on Ctrl-C; anything else stops as interrupted.
      if (!cmd.untilInterrupted) process.exit(130);
    });
    const ctx: Ctx = {
      admin,
      url,
      json,
      color,
      c: palette(color),
      now: () => Date.now(),
      out: (text) => void process.stdout.write(`${json ? text : terminalSafe(text)}\n`),
      note: (text) => {
        if (!json) process.stderr.write(`${terminalSafe(text)}\n`);
      },
      call: (label, work) => withSpinner(label, work, process.stderr),
      emit: (result, human) => void process.stdout.write(`${json ? JSON.stringify(result, null, 2) : terminalSafe(human(result))}\n`),
      interrupted: interrupt.signal,
      readInput: (path) => (path === "-" ? readStdin() : readFile(path, "utf8")),
    };
    await cmd.run(ctx, input);
    return EXIT.ok;
  } catch (e) {
    const { code, message } = classify(e);
    return fail(code === EXIT.usage ? `${message}` : `error: ${message}`, code);
  }
}
