// Wire contract between the Worker and ResponseStore: plain values, never thrown errors.

/** One stored Responses API answer and the conversation turn it closes. */
export interface StoredResponse {
  /** "resp_…" */
  id: string;
  /** ms since epoch */
  createdAt: number;
  /** ms since epoch; the alarm deletes the row after this (RESPONSE_RETENTION_DAYS) */
  expiresAt: number;
  /** the response this one continued (`previous_response_id`), so a conversation is a chain of rows */
  previousId: string | null;
  /** the Response object as JSON, exactly as GET /v1/responses/{id} returns it */
  response: string;
  /** this turn's conversation items as a JSON array: the request's input items, then the output items */
  items: string;
}

export type Stored = { ok: true } | { ok: false; reason: string };

export type Lookup = { ok: true; response: string } | { ok: false };

/** A conversation: each turn's items (JSON arrays), oldest first. */
export type Conversation = { ok: true; turns: string[] } | { ok: false; reason: "not_found" | "too_long" };
