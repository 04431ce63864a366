// The Worker's side of ResponseStore: the caller's own actor, conversations for previous_response_id, saving.

import type { ResponseStore } from "../../objects/response-store.ts";
import type { Conversation, Lookup, Stored } from "../../shared/responses.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { callerId } from "../identity.ts";
import { settingsFor } from "../settings.ts";
import { countRpc } from "../stats.ts";
import type { JsonObject } from "../validate.ts";
import type { Item } from "./validate.ts";

const DAY_MS = 86_400_000;

/** The actor holding this caller's responses: one per gateway key (or anonymous client), never shared. */
export async function storeOf(request: Request, env: Env): Promise<DurableObjectStub<ResponseStore>> {
  return env.RESPONSE_STORE.getByName(await callerId(request, env));
}

export function notFound(id: string, param: string | null = null): HttpError {
  return new HttpError(404, `No response with id '${id.slice(0, 100)}' was found (responses are kept for a limited time, and only for the key that created them)`, {
    param,
    code: "response_not_found",
  });
}

/** The conversation `previous_response_id` continues, as items, oldest first. */
export async function conversation(store: DurableObjectStub<ResponseStore>, id: string): Promise<Item[]> {
  countRpc();
  const c = (await store.conversation(id)) as Conversation;
  if (!c.ok) {
    if (c.reason === "too_long") throw new HttpError(400, "This conversation is too long to continue; start a new one", { param: "previous_response_id", code: "conversation_too_long" });
    throw notFound(id, "previous_response_id");
  }
  const items: Item[] = [];
  for (const turn of c.turns) items.push(...(JSON.parse(turn) as Item[]));
  return items;
}

export async function lookup(store: DurableObjectStub<ResponseStore>, id: string): Promise<string> {
  countRpc();
  const r = (await store.get(id)) as Lookup;
  if (!r.ok) throw notFound(id);
  return r.response;
}

/** Keep a finished response and its turn of the conversation for RESPONSE_RETENTION_DAYS. */
export async function save(env: Env, store: DurableObjectStub<ResponseStore>, response: JsonObject, previousId: string | null, items: Item[]): Promise<void> {
  const createdAt = Date.now();
  countRpc();
  let r: Stored;
  try {
    r = (await store.put({
      id: response.id as string,
      createdAt,
      expiresAt: createdAt + settingsFor(env).responseRetentionDays * DAY_MS,
      previousId,
      response: JSON.stringify(response),
      items: JSON.stringify(items),
    })) as Stored;
  } catch (e) {
    r = { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
  // The answer itself is fine; only retrieving or continuing it later will fail. Say so in the log.
  if (!r.ok) console.error("response not stored", response.id, r.reason.slice(0, 200));
}
