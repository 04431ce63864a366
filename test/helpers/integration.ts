// Helpers for the gateway integration tests: several custom providers, streaming reads that keep chunk
// boundaries, OpenAI error-envelope checks and the routing status page.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import worker from "../../worker/index.ts";
import { SIM_ORIGIN, type Gateway } from "./gateway.ts";

export type CustomModel = string | ({ upstream: string } & Record<string, unknown>);

/** CUSTOM_PROVIDERS for several providers at once, all served by the simulator's generic mount (`openai`). */
export function customProviders(list: Array<{ id: string; models: CustomModel[]; limits?: Record<string, number>; prefill?: boolean }>): string {
  return JSON.stringify(
    list.map((p) => ({
      id: p.id,
      baseUrl: `${SIM_ORIGIN}/openai/v1`,
      apiKey: "sim-key",
      models: p.models,
      ...(p.limits ? { limits: p.limits } : {}),
      ...(p.prefill !== undefined ? { prefill: p.prefill } : {}),
    })),
  );
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Asserts the OpenAI error envelope (exactly message, type, param, code; strings or null) and a request id; returns the error. */
export async function expectErrorEnvelope(res: Response, status: number): Promise<OpenAIErrorBody["error"]> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type") ?? "").toContain("application/json");
  expect(res.headers.get("x-request-id") ?? "").not.toBe("");
  const body = (await res.json()) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(["error"]);
  const e = body.error as Record<string, unknown>;
  expect(Object.keys(e).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof e.message).toBe("string");
  expect((e.message as string).length).toBeGreaterThan(0);
  expect(typeof e.type).toBe("string");
  expect(e.param === null || typeof e.param === "string").toBe(true);
  expect(e.code === null || typeof e.code === "string").toBe(true);
  return e as OpenAIErrorBody["error"];
}

export interface StreamedChat {
  res: Response;
  /** every `data:` payload, in order */
  data: string[];
  /** the payloads grouped by the reader.read() that completed them: proof that the answer arrived in pieces */
  reads: string[][];
  /** the body as text */
  raw: string;
  /** parsed JSON chunks (everything but [DONE]) */
  chunks: Array<Record<string, unknown>>;
  /** concatenated delta.content of choice 0 */
  text: string;
  /** finish_reason values seen, in order */
  finishReasons: string[];
  done: boolean;
}

/** One request through the Worker with its own execution context, so a stream can be read before its reports settle. */
export async function send(gw: Gateway, path: string, init: RequestInit): Promise<{ res: Response; settle: () => Promise<void> }> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://gateway.test${path}`, init), gw.env, ctx);
  return { res, settle: () => waitOnExecutionContext(ctx) };
}

/**
 * POST a chat request and hang up `afterMs` into it, as a caller closing its connection; then wait for the
 * gateway's background work (reports, releases).
 */
export async function hangUpAfter(gw: Gateway, body: Record<string, unknown>, afterMs: number): Promise<void> {
  const caller = new AbortController();
  const pending = send(gw, "/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: caller.signal });
  await sleep(afterMs);
  caller.abort();
  const sent = await pending.catch(() => null);
  await sent?.res.arrayBuffer().catch(() => undefined);
  await sent?.settle();
}

/** POST a chat request and read the answer chunk by chunk; waits for the gateway's reports afterwards. */
/** A caller slow to read: after `afterReads` reads it waits `ms` before asking for the next chunk. */
export interface ReadPause {
  afterReads: number;
  ms: number;
}

export async function streamChat(gw: Gateway, body: Record<string, unknown>, pause?: ReadPause): Promise<StreamedChat> {
  const { res, settle } = await send(gw, "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ stream: true, ...body }),
  });
  const out = await readStream(res, pause);
  await settle();
  return out;
}

export async function readStream(res: Response, pause?: ReadPause): Promise<StreamedChat> {
  const out: StreamedChat = { res, data: [], reads: [], raw: "", chunks: [], text: "", finishReasons: [], done: false };
  const reader = res.body?.getReader();
  if (!reader) return out;
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    if (pause && out.reads.length === pause.afterReads) await new Promise((r) => setTimeout(r, pause.ms));
    const { done, value } = await reader.read();
    if (done) break;
    const piece = decoder.decode(value, { stream: true });
    out.raw += piece;
    buf += piece;
    const got: string[] = [];
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      for (const line of event.split("\n")) if (line.startsWith("data: ")) got.push(line.slice(6));
    }
    out.reads.push(got);
    out.data.push(...got);
  }
  for (const d of out.data) {
    if (d === "[DONE]") {
      out.done = true;
      continue;
    }
    const chunk = JSON.parse(d) as Record<string, unknown>;
    out.chunks.push(chunk);
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as Array<Record<string, unknown>>) : [];
    for (const c of choices) {
      const delta = (c.delta ?? {}) as Record<string, unknown>;
      if ((c.index ?? 0) === 0 && typeof delta.content === "string") out.text += delta.content;
      if (typeof c.finish_reason === "string") out.finishReasons.push(c.finish_reason);
    }
  }
  return out;
}

/** How many reads delivered at least one content delta (more than one = the answer was streamed, not buffered). */
export function contentReads(s: StreamedChat): number {
  return s.reads.filter((group) =>
    group.some((d) => {
      if (d === "[DONE]") return false;
      const c = JSON.parse(d) as { choices?: Array<{ delta?: { content?: unknown } }> };
      return (c.choices ?? []).some((ch) => typeof ch.delta?.content === "string" && ch.delta.content !== "");
    }),
  ).length;
}

export interface ModelStatus {
  id: string;
  kind: string;
  healthy: boolean | null;
  state: string;
  cooldown_until?: string | null;
  cooldown_reason?: string | null;
  remaining: Record<string, number> | null;
  consecutive_failures?: number;
  last_error?: string | null;
  daily_reset_at?: string;
  daily_refill?: "midnight" | "rolling";
}

export interface RoutingStatus {
  object: string;
  providers: Array<{ id: string; configured: boolean; custom: boolean; models: ModelStatus[]; pools: unknown[] }>;
}

/**
 * GET /v1/routing/status, always fresh: the page caches its answer for 2 s per settings object, so this asks
 * through a copy of the settings (same values, new object).
 */
export async function routingStatus(gw: Gateway): Promise<RoutingStatus> {
  const { res, settle } = await send({ ...gw, env: { ...gw.env } }, "/v1/routing/status", { method: "GET" });
  await settle();
  expect(res.status).toBe(200);
  return (await res.json()) as RoutingStatus;
}

export function modelStatus(s: RoutingStatus, id: string): ModelStatus {
  for (const p of s.providers) for (const m of p.models) if (m.id === id) return m;
  throw new Error(`no model ${id} on the status page`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const user = (content: string): Array<{ role: string; content: string }> => [{ role: "user", content }];
