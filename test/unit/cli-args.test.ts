// The admin CLI's command line: flags, values, positionals, and which command and help argv resolves to.

import { describe, expect, it } from "vitest";
import { intFlags, list, parseArgv, positiveInt, type FlagSpecs } from "../../admin-client/cli/args.ts";
import { COMMANDS } from "../../admin-client/cli/commands/index.ts";
import { resolve } from "../../admin-client/cli/dispatch.ts";
import { UsageError } from "../../admin-client/cli/errors.ts";

const SPECS: FlagSpecs = {
  json: { type: "boolean", help: "" },
  rpm: { type: "string", value: "N", help: "" },
  help: { type: "boolean", short: "h", help: "" },
};

describe("parseArgv", () => {
  it("reads --flag value, --flag=value, booleans, -h and positionals in any order", () => {
    expect(parseArgv(["limits", "--rpm", "30", "set", "--json", "m", "-h"], SPECS)).toEqual({
      flags: { rpm: "30", json: true, help: true },
      positionals: ["limits", "set", "m"],
    });
    expect(parseArgv(["--rpm=5"], SPECS).flags["rpm"]).toBe("5");
  });

  it("treats everything after -- and a lone - as positionals", () => {
    expect(parseArgv(["explain", "-", "--", "--json"], SPECS).positionals).toEqual(["explain", "-", "--json"]);
  });

  it("refuses unknown flags, a missing value and a value on a boolean", () => {
    expect(() => parseArgv(["--nope"], SPECS)).toThrow(UsageError);
    expect(() => parseArgv(["-x"], SPECS)).toThrow(/unknown option '-x'/);
    expect(() => parseArgv(["--rpm"], SPECS)).toThrow(/needs a value/);
    expect(() => parseArgv(["--rpm", "--json"], SPECS)).toThrow(/needs a value/);
    expect(() => parseArgv(["--json=yes"], SPECS)).toThrow(/takes no value/);
  });

  it("skips unknown flags in loose mode", () => {
    expect(parseArgv(["--nope", "keys", "--json"], SPECS, "loose")).toEqual({ flags: { json: true }, positionals: ["keys"] });
  });

  it("takes only whole numbers of at least 1 as limits", () => {
    expect(positiveInt("rpm", "30")).toBe(30);
    for (const bad of ["0", "-1", "1.5", "abc", "", "1e3"]) expect(() => positiveInt("rpm", bad)).toThrow(/--rpm must be a whole number/);
    expect(intFlags({ rpm: "3", rpd: "10", json: true }, ["rpm", "rpd", "tpm"])).toEqual({ rpm: 3, rpd: 10 });
    expect(list(" groq/*, gpt-oss-120b,,")).toEqual(["groq/*", "gpt-oss-120b"]);
  });
});

describe("resolve", () => {
  it("finds one- and two-word commands with their flags and arguments", () => {
    const r = resolve(["--json", "limits", "set", "groq/m", "--rpm", "30"], COMMANDS);
    expect(r.kind === "run" && r.cmd.name).toBe("limits set");
    expect(r.kind === "run" && r.input).toEqual({ flags: { json: true, rpm: "30" }, positionals: ["groq/m"] });
    const s = resolve(["stats", "--since", "1h", "--by", "provider"], COMMANDS);
    expect(s.kind === "run" && s.cmd.name).toBe("stats");
  });

  it("answers --help for the program, every group and every command, on stdout (code 0)", () => {
    expect(resolve(["--help"], COMMANDS)).toMatchObject({ kind: "help", code: 0, text: expect.stringContaining("Exit codes:") });
    expect(resolve(["keys", "-h"], COMMANDS)).toMatchObject({ kind: "help", code: 0, text: expect.stringContaining("keys create") });
    for (const cmd of COMMANDS) {
      const r = resolve([...cmd.name.split(" "), "--help"], COMMANDS);
      expect(r).toMatchObject({ kind: "help", code: 0 });
      expect(r.kind === "help" && r.text).toContain(`Usage: freeway-admin ${cmd.name}`);
      expect(r.kind === "help" && r.text).toContain("Exit codes:");
    }
    expect(resolve(["help", "keys", "create"], COMMANDS)).toMatchObject({ kind: "help", code: 0, text: expect.stringContaining("--label") });
  });

  it("is a usage error (code 2) for no command, a missing subcommand, unknown words, flags or argument counts", () => {
    expect(resolve([], COMMANDS)).toMatchObject({ kind: "help", code: 2 });
    expect(resolve(["keys"], COMMANDS)).toMatchObject({ kind: "help", code: 2, error: "'keys' needs a subcommand" });
    expect(() => resolve(["bogus"], COMMANDS)).toThrow(/unknown command 'bogus'/);
    expect(() => resolve(["keys", "rotate"], COMMANDS)).toThrow(/unknown command 'keys rotate'/);
    expect(() => resolve(["status", "--rpm", "3"], COMMANDS)).toThrow(/unknown option '--rpm'/);
    expect(() => resolve(["limits", "set"], COMMANDS)).toThrow(/needs <model\|pool>/);
    expect(() => resolve(["cooldown", "reset", "a", "b"], COMMANDS)).toThrow(/not 'b'/);
    expect(() => resolve(["status", "extra"], COMMANDS)).toThrow(/takes no arguments/);
  });
});
