// The admin CLI end to end: `node admin-client/cli.ts …` as a child process against `wrangler dev` and the
// simulator — gateway keys, limits enforced on the next request and kept across a restart, cooldown reset,
// `stats` after a scripted run matching what the simulator saw exactly, exit codes, help, and `tail`.

import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI, { AuthenticationError } from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { createAdminClient } from "../../admin-client/index.ts";
import { COMMANDS } from "../../admin-client/cli/commands/index.ts";
import type { KeyRecord } from "../../shared/access.ts";
import type { ActorStatus } from "../../shared/actors.ts";
import type { RequestRecord } from "../../shared/analytics.ts";
import type { ModelView } from "../../worker/admin/models.ts";
import type { Breakdown, Summary } from "../../worker/analytics.ts";
import { chatLog, freePort, logMark, sleep, type Stack, uniquePrompt, useStack } from "./harness.ts";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../../admin-client/cli.ts");
const ADMIN_TOKEN = "e2e-cli-admin-token-7d21";
// Request-log records reach the ledger in batches; short batches keep `stats` and `tail` prompt.
const SETTINGS = { ACCESS: "keys", ADMIN_TOKEN, LOG_FLUSH_MS: "50" };

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI against `stack` (FREEWAY_URL / FREEWAY_ADMIN_TOKEN from the environment, as a user would). */
async function cli(stack: Stack, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run = await new Promise<Run>((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, FREEWAY_URL: stack.url, FREEWAY_ADMIN_TOKEN: ADMIN_TOKEN, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", fail);
    child.once("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
  // The admin token is never printed, whatever the command did.
  expect(run.stdout + run.stderr).not.toContain(ADMIN_TOKEN);
  return run;
}

/** A command with --json that must succeed: its parsed stdout. */
async function cliJson<T>(stack: Stack, args: string[]): Promise<T> {
  const run = await cli(stack, [...args, "--json"]);
  expect(run.stderr, `stderr of ${args.join(" ")}`).toBe("");
  expect(run.code, `exit code of ${args.join(" ")}`).toBe(0);
  return JSON.parse(run.stdout) as T;
}

interface Answer {
  status: number;
  headers: Headers;
  body: { model?: string; usage?: { prompt_tokens: number; completion_tokens: number }; error?: { message: string } };
}

/** One chat request with a gateway key; `models` makes it an ordered list. */
async function chat(stack: Stack, key: string, model: string, opts: { models?: string[]; requestId?: string } = {}): Promise<Answer> {
  const res = await fetch(`${stack.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...(opts.requestId ? { "x-request-id": opts.requestId } : {}) },
    body: JSON.stringify({ model, ...(opts.models ? { models: opts.models } : {}), messages: [{ role: "user", content: uniquePrompt("cli") }] }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer["body"] };
}

/** A routing.status model entry, with the fields the tests read. */
interface StatusModel {
  id: string;
  state: string;
  cooldown_until: string | null;
  cooldown_reason: string | null;
}

function statusOf(status: { providers: Array<{ models: StatusModel[] }> }, id: string): StatusModel | undefined {
  return status.providers.flatMap((p) => p.models).find((m) => m.id === id);
}

describe("the admin CLI against wrangler dev", () => {
  const stack = useStack(SETTINGS);
  let key = "";

  beforeAll(async () => {
    // Traffic in these tests goes through one gateway key (the deployed default: ACCESS=keys).
    key = (await createAdminClient({ url: stack.url, token: ADMIN_TOKEN }).keys.create.mutate({ label: "cli-traffic" })).key;
  });

  it("creates a key the OpenAI SDK can use, lists it, and revokes it for the very next request", async () => {
    const created = await cliJson<{ key: string; record: KeyRecord }>(stack, ["keys", "create", "--label", "cli-e2e", "--rpm", "100", "--models", "auto,groq/*"]);
    expect(created.key).toMatch(/^fw_/);
    expect(created.record).toMatchObject({ label: "cli-e2e", quota: { rpm: 100 }, models: ["auto", "groq/*"], revokedAt: null });

    const client = new OpenAI({ baseURL: stack.baseURL, apiKey: created.key, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: uniquePrompt("key") }] });
    expect(answer.choices[0]?.message.content).toBeTruthy();

    const listed = await cliJson<KeyRecord[]>(stack, ["keys", "list"]);
    expect(listed.find((k) => k.id === created.record.id)).toMatchObject({ label: "cli-e2e", hint: created.key.slice(-4), revokedAt: null });
    const table = await cli(stack, ["keys", "list"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${created.record.id}\\s+cli-e2e\\s+…${created.key.slice(-4)}.*active`));
    // Listing never shows a key again.
    expect(JSON.stringify(listed) + table.stdout).not.toContain(created.key);

    const revoked = await cli(stack, ["keys", "revoke", created.record.id]);
    expect(revoked).toMatchObject({ code: 0, stderr: "" });
    expect(revoked.stdout).toContain(`Revoked ${created.record.id}`);
    await expect(client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "after revoke" }] })).rejects.toBeInstanceOf(AuthenticationError);
    expect((await cliJson<KeyRecord[]>(stack, ["keys", "list"])).find((k) => k.id === created.record.id)?.revokedAt).not.toBeNull();
  });

  it("prints a new key exactly once, on a line of its own, and says it will not be shown again", async () => {
    const run = await cli(stack, ["keys", "create", "--label", "human"]);
    expect(run.code).toBe(0);
    const keys = run.stdout.match(/fw_[A-Za-z0-9]+/g) ?? [];
    expect(keys).toHaveLength(1);
    expect(run.stdout.split("\n").map((l) => l.trim())).toContain(keys[0]);
    expect(run.stdout).toMatch(/shown only this once/);
  });

  it("gives a key high priority at creation or later, and shows it in the list", async () => {
    const created = await cliJson<{ key: string; record: KeyRecord }>(stack, ["keys", "create", "--label", "on-call", "--priority", "high"]);
    expect(created.record.priority).toBe("high");
    const plain = await cliJson<{ key: string; record: KeyRecord }>(stack, ["keys", "create", "--label", "batch", "--rpd", "50"]);
    expect(plain.record.priority ?? "normal").toBe("normal");
    const raised = await cliJson<KeyRecord>(stack, ["keys", "quota", plain.record.id, "--priority", "high"]);
    // Only the priority changed: the quota stays.
    expect(raised).toMatchObject({ priority: "high", quota: { rpd: 50 } });
    const table = await cli(stack, ["keys", "list"]);
    expect(table.stdout).toMatch(new RegExp(`${plain.record.id}\\s+batch\\s.*\\bhigh\\b`));
  });

  it("enforces `limits set --rpm 2` on the very next requests: with one in the last minute, one more is served", async () => {
    // A model no test before this one asks for: the one request below is all its minute holds.
    const model = "cerebras/gpt-oss-120b";
    expect((await chat(stack, key, model)).status).toBe(200);
    const set = await cliJson<ActorStatus>(stack, ["limits", "set", model, "--rpm", "2"]);
    expect(set.overrides).toEqual({ rpm: 2 });
    expect(set.limits.rpm).toBe(2);

    const since = logMark(stack.sim);
    const first = await chat(stack, key, model);
    const second = await chat(stack, key, model);
    expect(first.status).toBe(200);
    expect(second.status).toBe(503);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // The refused request never reached the provider.
    expect(chatLog(stack.sim, since, "gpt-oss-120b")).toHaveLength(1);

    const models = await cli(stack, ["models"]);
    expect(models.stdout).toMatch(new RegExp(`${model}\\s.*rpm 2\\*`));
    const cleared = await cliJson<ActorStatus>(stack, ["limits", "clear", model]);
    expect(cleared.overrides).toEqual({});
    expect(cleared.limits.rpm).not.toBe(2);
  });

  it("keeps a model's other overrides when `limits set` names one, unless --replace", async () => {
    const model = "groq/openai/gpt-oss-120b";
    await cliJson<ActorStatus>(stack, ["limits", "set", model, "--rpm", "20"]);
    expect((await cliJson<ActorStatus>(stack, ["limits", "set", model, "--rpd", "500"])).overrides).toEqual({ rpm: 20, rpd: 500 });
    expect((await cliJson<ActorStatus>(stack, ["limits", "set", model, "--tpm", "4000", "--replace"])).overrides).toEqual({ tpm: 4000 });
    await cliJson<ActorStatus>(stack, ["limits", "clear", model]);
  });

  it("shows a 429 cooldown in `status`, and after `cooldown reset` the model answers again", async () => {
    const model = "cerebras/zai-glm-4.7";
    const fallback = "workers-ai/@cf/openai/gpt-oss-20b";
    const rule = stack.sim.addRule({ provider: "cerebras", model: "zai-glm-4.7", times: 1, fault: { kind: "rate_limit", retryAfter: 600 } });
    try {
      const failedOver = await chat(stack, key, model, { models: [model, fallback] });
      expect(failedOver.status).toBe(200);
      expect(failedOver.headers.get("x-freeway-model")).toBe(fallback);
      expect(failedOver.headers.get("x-freeway-attempts")).toBe("2");
    } finally {
      stack.sim.clearRules(rule);
    }
    // Alone, a cooling model is refused with the time it comes back.
    const alone = await chat(stack, key, model);
    expect(alone.status).toBe(503);
    expect(Number(alone.headers.get("retry-after"))).toBeGreaterThan(500);

    const cooling = statusOf(await cliJson(stack, ["status"]), model);
    expect(cooling?.state).toBe("cooling_down");
    expect(Date.parse(cooling?.cooldown_until ?? "") - Date.now()).toBeGreaterThan(500_000);
    expect((await cli(stack, ["status"])).stdout).toMatch(new RegExp(`${model}\\s+cooling down\\s+in 9m|${model}\\s+cooling down\\s+in 10m`));

    const reset = await cli(stack, ["cooldown", "reset", model]);
    expect(reset).toMatchObject({ code: 0, stderr: "" });
    expect(reset.stdout).toContain(`${model}: cooldown cleared; ready`);
    const since = logMark(stack.sim);
    const back = await chat(stack, key, model, { models: [model, fallback] });
    expect(back.status).toBe(200);
    expect(back.headers.get("x-freeway-model")).toBe(model);
    expect(chatLog(stack.sim, since).map((e) => `${e.provider}/${e.model}`)).toEqual([model]);
    expect(statusOf(await cliJson(stack, ["status"]), model)?.state).toBe("ready");
  });

  it("disables and enables a model, records who did it in the audit log", async () => {
    const model = "sambanova/DeepSeek-V3.1";
    const off = await cli(stack, ["model", "disable", model, "--operator", "alice"]);
    expect(off).toMatchObject({ code: 0, stdout: `${model}: disabled\n` });
    expect((await chat(stack, key, model)).status).toBe(503);
    expect((await cli(stack, ["model", "enable", model, "--operator", "alice"])).code).toBe(0);
    expect((await chat(stack, key, model)).status).toBe(200);
    const audit = await cliJson<Array<{ actor: string; action: string }>>(stack, ["audit", "--limit", "2"]);
    expect(audit).toEqual([expect.objectContaining({ actor: "alice", action: `models.enable ${model}` }), expect.objectContaining({ actor: "alice", action: `models.disable ${model}` })]);
    expect((await cli(stack, ["audit", "--limit", "2"])).stdout).toMatch(/alice\s+models\.enable sambanova\/DeepSeek-V3\.1\s+disabled: true → false/);
  });

  it("explains a route from a file or stdin without sending anything upstream", async () => {
    const since = logMark(stack.sim);
    const body = JSON.stringify({ model: "groq/llama-3.1-8b-instant", messages: [{ role: "user", content: "hi" }] });
    const run = await new Promise<Run>((done) => {
      const child = spawn(process.execPath, [CLI, "explain", "-", "--json"], { env: { ...process.env, FREEWAY_URL: stack.url, FREEWAY_ADMIN_TOKEN: ADMIN_TOKEN } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.once("close", (code, signal) => done({ code, signal, stdout, stderr }));
      child.stdin.end(body);
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ winner: "groq/llama-3.1-8b-instant", candidates: [expect.objectContaining({ model: "groq/llama-3.1-8b-instant" })] });
    expect(chatLog(stack.sim, since)).toEqual([]);
    const missing = await cli(stack, ["explain", "/nonexistent/request.json"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read '\/nonexistent\/request.json'/);
  });

  it("exits 4 for a wrong or missing token, 2 for usage errors, 1 for what the server refuses, 3 when it cannot reach the gateway", async () => {
    for (const token of ["wrong-token", ""]) {
      const run = await cli(stack, ["status"], { FREEWAY_ADMIN_TOKEN: token });
      expect(run.code).toBe(4);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/unauthorised \(HTTP 401\): The admin token is missing or wrong/);
    }
    const usage: Array<[string[], RegExp]> = [
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["keys", "rotate"], /unknown command 'keys rotate'/],
      [["status", "--verbose"], /unknown option '--verbose'/],
      [["limits", "set", "groq/llama-3.1-8b-instant", "--rpm", "fast"], /--rpm must be a whole number/],
      [["limits", "set", "groq/llama-3.1-8b-instant"], /give at least one of --rpm/],
      [["stats", "--since", "yesterday"], /--since must be/],
      [["stats", "--by", "key"], /--by must be 'model' or 'provider'/],
      [["keys", "create"], /--label is required/],
      [["keys", "create", "--label", "x", "--priority", "urgent"], /--priority must be normal or high, not "urgent"/],
      [["keys"], /'keys' needs a subcommand/],
      [["--url", "not a url", "status"], /not a URL/],
      [["keys", "create", "--label", "x", "--models", " , "], /--models names no model/],
    ];
    for (const [args, message] of usage) {
      const run = await cli(stack, args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe("");
    }
    // A token a header cannot carry (pasted with its line break): a usage error that does not print it.
    const pasted = await cli(stack, ["status"], { FREEWAY_ADMIN_TOKEN: "first-line\nsecond-line-secret" });
    expect(pasted.code).toBe(2);
    expect(pasted.stderr).toMatch(/the admin token .* contains a space, a line break/);
    expect(pasted.stdout + pasted.stderr).not.toMatch(/first-line|second-line-secret/);
    const unknownModel = await cli(stack, ["limits", "set", "nope/nothing", "--rpm", "5"]);
    expect(unknownModel.code).toBe(1);
    expect(unknownModel.stderr).toMatch(/No model 'nope\/nothing' in the catalog \(NOT_FOUND\)/);
    expect((await cli(stack, ["keys", "revoke", "key_nope"])).code).toBe(1);

    const nobody = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await cli(stack, ["status"], { FREEWAY_URL: nobody });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain(`cannot reach the gateway at ${nobody}`);
    expect((await cli(stack, ["stats", "--url", nobody, "--json"])).code).toBe(3);
  });

  it("answers --help for the program and every command on stdout, exit 0", async () => {
    const top = await cli(stack, ["--help"]);
    expect(top.code).toBe(0);
    for (const cmd of COMMANDS) expect(top.stdout).toContain(cmd.name);
    expect(top.stdout).toMatch(/Exit codes:[\s\S]*3\s+cannot reach the gateway[\s\S]*4\s+unauthorised/);
    const runs = await Promise.all(COMMANDS.map((cmd) => cli(stack, [...cmd.name.split(" "), "--help"])));
    runs.forEach((run, i) => {
      const name = COMMANDS[i]?.name ?? "";
      expect(run.code, name).toBe(0);
      expect(run.stdout).toContain(`Usage: freeway-admin ${name}`);
      expect(run.stderr).toBe("");
    });
    expect((await cli(stack, ["keys", "-h"])).stdout).toMatch(/keys create[\s\S]*keys revoke <id>/);
  });

  it("tails a request sent after it started, then exits 0 on Ctrl-C", async () => {
    const child = spawn(process.execPath, [CLI, "tail", "--json", "--since", "0", "--interval", "200ms"], {
      env: { ...process.env, FREEWAY_URL: stack.url, FREEWAY_ADMIN_TOKEN: ADMIN_TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((done) => child.once("close", (code, signal) => done([code, signal])));
    try {
      await sleep(1500);
      const requestId = `cli-tail-${Date.now().toString(36)}`;
      const model = "groq/llama-3.1-8b-instant";
      expect((await chat(stack, key, model, { requestId })).status).toBe(200);
      const deadline = Date.now() + 10_000;
      while (!stdout.includes(requestId) && Date.now() < deadline) await sleep(100);
      const line = stdout.split("\n").find((l) => l.includes(requestId));
      expect(line, `tail printed:\n${stdout}\n${stderr}`).toBeDefined();
      const record = JSON.parse(line ?? "{}") as RequestRecord;
      expect(record).toMatchObject({ id: requestId, route: "chat", requested: model, model, provider: "groq", status: 200, error: null });
      expect(record.attempts).toEqual([{ model, provider: "groq", outcome: "ok" }]);
      // Each request is printed once, however many polls saw it.
      expect(stdout.split("\n").filter((l) => l.includes(requestId))).toHaveLength(1);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toEqual([0, null]);
    expect(stderr).toBe("");
  });

  // Last: it restarts the gateway under the tests above.
  it("keeps `limits set` across a restart of wrangler dev, and enforces it from the first request after", async () => {
    const model = "groq/qwen/qwen3.6-27b";
    const set = await cliJson<ActorStatus>(stack, ["limits", "set", model, "--rpm", "1", "--rpd", "500"]);
    expect(set.overrides).toEqual({ rpm: 1, rpd: 500 });

    await stack.restart();

    const listed = (await cliJson<ModelView[]>(stack, ["models"])).find((m) => m.id === model);
    expect(listed?.status?.overrides).toEqual({ rpm: 1, rpd: 500 });
    expect(listed?.status?.limits).toMatchObject({ rpm: 1, rpd: 500 });
    expect((await chat(stack, key, model)).status).toBe(200);
    const refused = await chat(stack, key, model);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});

describe("stats after a scripted run through the simulator", () => {
  const stack = useStack(SETTINGS);

  it("reports exactly N requests, the split per provider and model, and the failovers the simulator saw — as does /v1/analytics", async () => {
    const start = new Date().toISOString();
    const { key } = await createAdminClient({ url: stack.url, token: ADMIN_TOKEN }).keys.create.mutate({ label: "stats" });
    const A = "groq/llama-3.1-8b-instant";
    const B = "sambanova/Meta-Llama-3.3-70B-Instruct";
    const C = "workers-ai/@cf/openai/gpt-oss-120b";
    const D = "groq/openai/gpt-oss-20b";
    const E = "gemini/gemma-3-27b-it";
    const since = logMark(stack.sim);
    const answers: Answer[] = [];
    const ask = async (times: number, model: string, models?: string[]): Promise<void> => {
      for (let i = 0; i < times; i++) answers.push(await chat(stack, key, model, models ? { models } : {}));
    };
    // N = 20: 8 answered by A; 2 fail over from B (500s) to C; D and E each throttle once (429) and fail over to
    // C and B; 8 answered by B. Scripted failovers: 4 (in: C 3, B 1; out: B 2, D 1, E 1).
    await ask(8, A);
    stack.sim.addRule({ provider: "sambanova", model: "Meta-Llama-3.3-70B-Instruct", times: 2, fault: { kind: "status", status: 500 } });
    await ask(2, B, [B, C]);
    stack.sim.addRule({ provider: "groq", model: "openai/gpt-oss-20b", times: 1, fault: { kind: "rate_limit", retryAfter: 30 } });
    await ask(1, D, [D, C]);
    stack.sim.addRule({ provider: "gemini", model: "gemma-3-27b-it", times: 1, fault: { kind: "rate_limit", retryAfter: 30 } });
    await ask(1, E, [E, B]);
    await ask(8, B);
    const N = 20;
    expect(answers).toHaveLength(N);
    expect(answers.map((a) => a.status)).toEqual(Array<number>(N).fill(200));
    const failovers = answers.filter((a) => a.headers.get("x-freeway-attempts") !== "1").length;
    expect(failovers).toBe(4);

    // What the simulator saw: who answered (200), who failed (and whether with a 429).
    const calls = chatLog(stack.sim, since);
    const tally = (entries: typeof calls, by: (id: string) => string): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const e of entries) {
        const k = by(`${e.provider}/${e.model}`);
        out[k] = (out[k] ?? 0) + 1;
      }
      return out;
    };
    /** Counts keyed by model id, summed under `by` of each id. */
    const regroup = (counts: Record<string, number>, by: (id: string) => string): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [id, n] of Object.entries(counts)) out[by(id)] = (out[by(id)] ?? 0) + n;
      return out;
    };
    const asModel = (id: string): string => id;
    const asProvider = (id: string): string => id.slice(0, id.indexOf("/"));
    const answered = calls.filter((e) => e.status === 200);
    const failed = calls.filter((e) => e.status !== 200);
    expect(answered).toHaveLength(N);
    expect(tally(answered, asModel)).toEqual({ [A]: 8, [B]: 9, [C]: 3 });
    expect(tally(failed, asModel)).toEqual({ [B]: 2, [D]: 1, [E]: 1 });
    const failedOverTo: Record<string, number> = {};
    for (const a of answers.filter((x) => x.headers.get("x-freeway-attempts") !== "1")) {
      const m = a.headers.get("x-freeway-model") ?? "";
      failedOverTo[m] = (failedOverTo[m] ?? 0) + 1;
    }
    expect(failedOverTo).toEqual({ [C]: 3, [B]: 1 });

    // The log lands in batches: wait until the whole run is in, then hold `stats` to it exactly.
    let byModel = await cliJson<Summary>(stack, ["stats", "--since", start]);
    for (const deadline = Date.now() + 10_000; byModel.totals.requests < N && Date.now() < deadline; ) {
      await sleep(100);
      byModel = await cliJson<Summary>(stack, ["stats", "--since", start]);
    }
    const byProvider = await cliJson<Summary>(stack, ["stats", "--since", start, "--by", "provider"]);

    const split = (groups: Breakdown[], field: "requests" | "failoversIn" | "failoversOut" | "throttled"): Record<string, number> =>
      Object.fromEntries(groups.filter((g) => g[field] > 0).map((g) => [g.id, g[field]]));
    const throttledBy = (by: (id: string) => string): Record<string, number> => tally(failed.filter((e) => e.status === 429), by);

    for (const [summary, by] of [[byModel, asModel], [byProvider, asProvider]] as const) {
      expect(summary.totals).toMatchObject({ requests: N, succeeded: N, failoversIn: 4, failoversOut: 4, throttled: 2 });
      expect(split(summary.groups, "requests")).toEqual(tally(answered, by));
      expect(split(summary.groups, "failoversOut")).toEqual(tally(failed, by));
      expect(split(summary.groups, "throttled")).toEqual(throttledBy(by));
      expect(split(summary.groups, "failoversIn")).toEqual(regroup(failedOverTo, by));
    }
    // Tokens are the ones the answers reported.
    expect(byModel.totals.tokensIn).toBe(answers.reduce((n, a) => n + (a.body.usage?.prompt_tokens ?? 0), 0));
    expect(byModel.totals.tokensOut).toBe(answers.reduce((n, a) => n + (a.body.usage?.completion_tokens ?? 0), 0));

    // The public summary agrees.
    const pub = (await (await fetch(`${stack.baseURL}/analytics?hours=1`)).json()) as { totals: Breakdown; models: Breakdown[]; providers: Breakdown[] };
    expect(pub.totals).toMatchObject({ requests: N, failoversIn: 4, failoversOut: 4, throttled: 2 });
    expect(split(pub.models, "requests")).toEqual(tally(answered, asModel));
    expect(split(pub.providers, "requests")).toEqual(tally(answered, asProvider));
    expect(split(pub.models, "failoversOut")).toEqual(tally(failed, asModel));

    // And what a person reads: one row per model, the totals line last.
    const table = await cli(stack, ["stats", "--since", start]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${B.replace(/[/.]/g, "\\$&")}\\s+9\\s+81\\.8%\\s+0\\s+1/2`));
    expect(table.stdout.trimEnd().split("\n").at(-1)).toMatch(/^total\s+20\s+100%\s+2\s+4\/4/);
    console.log(`stats after the scripted run:\n${table.stdout}`);
  });
});
