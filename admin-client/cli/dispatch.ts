// From argv to a command and its parsed input, or to the help to print. Pure: main.ts does the I/O.

import { parseArgv, type Parsed } from "./args.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./errors.ts";
import { commandHelp, GLOBAL_FLAGS, groupHelp, PROGRAM, topHelp } from "./help.ts";

export type Resolved =
  /** help to print: on stdout when asked for (0), else on stderr after `error` (2) */
  | { kind: "help"; text: string; code: 0 | 2; error?: string }
  | { kind: "run"; cmd: Command; input: Parsed };

export function resolve(argv: readonly string[], commands: readonly Command[]): Resolved {
  // The command's words are the first positionals; its own flags are known only once it is found.
  const loose = parseArgv(argv, GLOBAL_FLAGS, "loose");
  const help = loose.flags["help"] === true;
  const [first, second] = loose.positionals;
  if (first === undefined) return help ? { kind: "help", text: topHelp(commands), code: 0 } : { kind: "help", text: topHelp(commands), code: 2, error: "no command given" };
  if (first === "help") {
    // `help keys create` reads as `keys create --help`.
    return resolve([...loose.positionals.slice(1), "--help"], commands);
  }
  const group = commands.filter((c) => c.name.split(" ")[0] === first);
  if (group.length === 0) throw new UsageError(`unknown command '${first}'; run '${PROGRAM} --help' for the list`);
  let cmd = group.find((c) => c.name === first);
  let words = 1;
  if (!cmd) {
    if (second === undefined) {
      const text = groupHelp(first, commands);
      return help ? { kind: "help", text, code: 0 } : { kind: "help", text, code: 2, error: `'${first}' needs a subcommand` };
    }
    cmd = group.find((c) => c.name === `${first} ${second}`);
    if (!cmd) throw new UsageError(`unknown command '${first} ${second}'; run '${PROGRAM} ${first} --help' for its subcommands`);
    words = 2;
  }
  const strict = parseArgv(argv, { ...GLOBAL_FLAGS, ...cmd.flags });
  if (strict.flags["help"] === true) return { kind: "help", text: commandHelp(cmd), code: 0 };
  const positionals = strict.positionals.slice(words);
  const [min, max] = cmd.arity ?? [0, 0];
  if (positionals.length < min) throw new UsageError(`'${cmd.name}' needs ${cmd.args ?? "an argument"}; usage: ${PROGRAM} ${cmd.name} ${cmd.args ?? ""}`.trimEnd());
  if (positionals.length > max) throw new UsageError(`'${cmd.name}' takes ${max === 0 ? "no arguments" : `only ${cmd.args}`}, not '${positionals.slice(max).join(" ")}'`);
  return { kind: "run", cmd, input: { flags: strict.flags, positionals } };
}
