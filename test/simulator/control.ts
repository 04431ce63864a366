// The simulator's control API over HTTP (/_sim/*): the same operations as the Simulator methods.

import type { Limits } from "../../shared/catalog/types.ts";
import { jsonResponse } from "./delivery.ts";
import type { Simulator } from "./simulator.ts";
import type { SimConfig, SimFaultKind, SimRule } from "./types.ts";
import { FAULT_KINDS } from "./types.ts";
import { isRecord } from "./util.ts";

/** The numeric fields of each fault kind (`?`: optional), so a rule with a typo fails here, not silently later. */
const FAULT_NUMBERS: Partial<Record<SimFaultKind, readonly string[]>> = {
  rate_limit: ["retryAfter?"],
  status: ["status"],
  slow: ["firstTokenMs", "tokenIntervalMs?"],
  cut: ["afterTokens"],
  stall: ["afterTokens"],
  malformed: ["afterTokens"],
  error_chunk: ["afterTokens"],
  diverge: ["afterTokens?"],
};

export function isRule(r: unknown): boolean {
  if (!isRecord(r) || !isRecord(r["fault"])) return false;
  const fault = r["fault"];
  const kind = fault["kind"];
  if (typeof kind !== "string" || !(FAULT_KINDS as readonly string[]).includes(kind)) return false;
  for (const field of FAULT_NUMBERS[kind as SimFaultKind] ?? []) {
    const name = field.replace("?", "");
    const v = fault[name];
    if (v === undefined ? !field.endsWith("?") : typeof v !== "number" || !Number.isFinite(v) || v < 0) return false;
  }
  return true;
}

export async function control(sim: Simulator, request: Request, url: URL): Promise<Response> {
  const path = url.pathname.replace(/\/+$/, "");
  const method = request.method;
  const read = async (): Promise<unknown> => {
    try {
      return JSON.parse(await request.text());
    } catch {
      return undefined;
    }
  };
  if (path === "/_sim/rules" && method === "POST") {
    const body = await read();
    const list = Array.isArray(body) ? body : [body];
    const bad = list.findIndex((r) => !isRule(r));
    if (bad >= 0) {
      return jsonResponse(400, { error: `rule ${bad} is not a valid rule (fault.kind one of ${FAULT_KINDS.join(", ")}, with the numbers that kind needs)` });
    }
    return jsonResponse(200, { ids: sim.addRules(list as SimRule[]) });
  }
  if (path === "/_sim/rules" && method === "GET") return jsonResponse(200, { rules: sim.listRules() });
  if (path === "/_sim/rules" && method === "DELETE") {
    return jsonResponse(200, { removed: sim.clearRules(url.searchParams.get("id") ?? undefined) });
  }
  if (path.startsWith("/_sim/rules/") && method === "DELETE") {
    return jsonResponse(200, { removed: sim.clearRules(decodeURIComponent(path.slice("/_sim/rules/".length))) });
  }
  if (path === "/_sim/config" && (method === "POST" || method === "GET")) {
    const body = method === "POST" ? await read() : {};
    if (!isRecord(body)) return jsonResponse(400, { error: "config must be a JSON object" });
    const patch: Partial<SimConfig> = {};
    if (body["limits"] === "catalog" || body["limits"] === "off") patch.limits = body["limits"];
    if (typeof body["latencyMs"] === "number") patch.latencyMs = body["latencyMs"];
    if (typeof body["tokenIntervalMs"] === "number") patch.tokenIntervalMs = body["tokenIntervalMs"];
    return jsonResponse(200, sim.config(patch));
  }
  if (path === "/_sim/limits" && method === "POST") {
    const body = await read();
    if (!isRecord(body) || typeof body["model"] !== "string") return jsonResponse(400, { error: "expected {model, limits|null}" });
    const limits = body["limits"];
    if (limits !== null && !isRecord(limits)) return jsonResponse(400, { error: "limits must be an object or null" });
    sim.setLimits(body["model"], limits === null ? null : (limits as Limits));
    return jsonResponse(200, { ok: true });
  }
  if (path === "/_sim/stats" && method === "GET") return jsonResponse(200, sim.stats());
  if (path === "/_sim/log" && method === "GET") {
    const since = Number(url.searchParams.get("since") ?? "0");
    return jsonResponse(200, { entries: sim.log(Number.isFinite(since) ? since : 0) });
  }
  if (path === "/_sim/reset" && method === "POST") {
    sim.reset();
    return jsonResponse(200, { ok: true });
  }
  return jsonResponse(404, { error: `no control route ${method} ${path}` });
}
