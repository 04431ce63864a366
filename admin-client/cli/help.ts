// Help text: the command index, a command group's subcommands, and one command's usage, flags and examples.

import type { FlagSpecs } from "./args.ts";
import type { Command } from "./command.ts";
import { EXIT_CODES_HELP } from "./errors.ts";

export const PROGRAM = "freeway-admin";

export const GLOBAL_FLAGS: FlagSpecs = {
  url: { type: "string", value: "URL", help: "the gateway (default: $FREEWAY_URL, else http://127.0.0.1:8787)" },
  token: { type: "string", value: "TOKEN", help: "the admin token (default: $FREEWAY_ADMIN_TOKEN)" },
  operator: { type: "string", value: "NAME", help: "who is acting, for the audit log (default: admin)" },
  json: { type: "boolean", help: "print the API's JSON result and nothing else on stdout" },
  "no-color": { type: "boolean", help: "no colour (also: NO_COLOR set, or stdout not a terminal)" },
  help: { type: "boolean", short: "h", help: "show help (for any command: <command> --help)" },
};

function flagLines(specs: FlagSpecs): string[] {
  const left = Object.entries(specs).map(([name, s]) => `${s.short ? `-${s.short}, ` : "    "}--${name}${s.value ? ` ${s.value}` : ""}`);
  const width = Math.max(...left.map((l) => l.length));
  return Object.values(specs).map((s, i) => `  ${(left[i] as string).padEnd(width)}  ${s.help}`);
}

function usageOf(cmd: Command): string {
  const flags = cmd.flags && Object.keys(cmd.flags).length > 0 ? " [options]" : "";
  return `${PROGRAM} ${cmd.name}${cmd.args ? ` ${cmd.args}` : ""}${flags}`;
}

export function topHelp(commands: readonly Command[]): string {
  const left = commands.map((c) => `${c.name}${c.args ? ` ${c.args}` : ""}`);
  const width = Math.max(...left.map((l) => l.length));
  return [
    `${PROGRAM}: operate a freeway gateway — routing state, limits, cooldowns, gateway keys, analytics.`,
    "",
    `Usage: ${PROGRAM} <command> [options]`,
    `       npm run admin -- <command> [options]`,
    "",
    "Commands:",
    ...commands.map((c, i) => `  ${(left[i] as string).padEnd(width)}  ${c.summary}`),
    "",
    "Global options (with every command):",
    ...flagLines(GLOBAL_FLAGS),
    "",
    "Environment: FREEWAY_URL, FREEWAY_ADMIN_TOKEN (the gateway's ADMIN_TOKEN), NO_COLOR.",
    "",
    EXIT_CODES_HELP,
  ].join("\n");
}

/** For `keys` alone: its subcommands. */
export function groupHelp(group: string, commands: readonly Command[]): string {
  const mine = commands.filter((c) => c.name.split(" ")[0] === group);
  const left = mine.map((c) => `${c.name}${c.args ? ` ${c.args}` : ""}`);
  const width = Math.max(...left.map((l) => l.length));
  return [
    `Usage: ${PROGRAM} ${group} <${mine.map((c) => c.name.split(" ")[1]).join("|")}> …`,
    "",
    ...mine.map((c, i) => `  ${(left[i] as string).padEnd(width)}  ${c.summary}`),
    "",
    `Run '${PROGRAM} ${group} <subcommand> --help' for its options.`,
  ].join("\n");
}

export function commandHelp(cmd: Command): string {
  const out = [`Usage: ${usageOf(cmd)}`, "", `${cmd.summary[0]?.toUpperCase() ?? ""}${cmd.summary.slice(1)}.`];
  if (cmd.details) out.push("", cmd.details);
  if (cmd.flags && Object.keys(cmd.flags).length > 0) out.push("", "Options:", ...flagLines(cmd.flags));
  out.push("", "Global options:", ...flagLines(GLOBAL_FLAGS));
  if (cmd.examples?.length) out.push("", "Examples:", ...cmd.examples.map((e) => `  ${e}`));
  out.push("", EXIT_CODES_HELP);
  return out.join("\n");
}
