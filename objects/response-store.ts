// ResponseStore: one Durable Object per caller, holding that caller's stored Responses API answers. Another
// caller's actor is another object, so nobody can read, continue or delete a response they did not create.

import { DurableObject } from "cloudflare:workers";
import type { Conversation, Lookup, Stored, StoredResponse } from "../shared/responses.ts";
import { migrate } from "./sql.ts";

const MIGRATIONS = [
  `CREATE TABLE responses (
     id TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     previous_id TEXT,
     response TEXT NOT NULL,
     items TEXT NOT NULL
   )`,
  "CREATE INDEX responses_by_expiry ON responses (expires_at)",
  // A turn's items too large to share the response's row (images as data: URLs), in pieces that each fit a row;
  // the row's `items` is then empty.
  "CREATE TABLE response_parts (id TEXT NOT NULL, seq INTEGER NOT NULL, part TEXT NOT NULL, PRIMARY KEY (id, seq))",
];

/** A chain longer than this is refused rather than walked (each turn is a row read). */
export const MAX_TURNS = 1000;

/** Durable Object SQLite's largest row (2 MB). */
const MAX_ROW_CHARS = 2_000_000;
/** Characters of one piece of a turn's items: at most 3 UTF-8 bytes each, so a piece is under 2 MB. */
const PART_CHARS = 600_000;

type Row = Record<string, SqlStorageValue>;

export class ResponseStore extends DurableObject<Record<string, never>> {
  readonly #sql: SqlStorage;
  /** when the alarm is set (null: none); undefined until read once after a restart */
  #alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Record<string, never>) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    migrate(this.#sql, MIGRATIONS);
  }

  async put(r: StoredResponse): Promise<Stored> {
    // Deployed SQLite refuses a row over 2 MB; local workerd does not, so the limit is checked here too
    // (characters ≤ bytes: a longer string is certainly too large). A turn's items (an image as a data: URL) go to
    // pieces of their own when they would not fit beside the response.
    if (r.response.length > MAX_ROW_CHARS) return { ok: false, reason: "the response exceeds 2 MB" };
    const pieces = r.response.length + r.items.length > PART_CHARS;
    try {
      this.ctx.storage.transactionSync(() => {
        this.#sql.exec("DELETE FROM response_parts WHERE id = ?", r.id);
        if (pieces) {
          for (let at = 0, seq = 0; at < r.items.length; seq++) {
            let end = Math.min(at + PART_CHARS, r.items.length);
            // Never cut between the two halves of a surrogate pair: storage keeps a lone half as U+FFFD.
            const last = r.items.charCodeAt(end - 1);
            if (end < r.items.length && last >= 0xd800 && last <= 0xdbff) end--;
            this.#sql.exec("INSERT INTO response_parts (id, seq, part) VALUES (?, ?, ?)", r.id, seq, r.items.slice(at, end));
            at = end;
          }
        }
        this.#sql.exec(
          `INSERT INTO responses (id, created_at, expires_at, previous_id, response, items) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET expires_at = excluded.expires_at, response = excluded.response, items = excluded.items`,
          r.id,
          r.createdAt,
          r.expiresAt,
          r.previousId,
          r.response,
          pieces ? "" : r.items,
        );
      });
    } catch (e) {
      // Whatever storage refuses is answered as a value, never thrown across RPC.
      return { ok: false, reason: e instanceof Error ? e.message.slice(0, 200) : "storage refused the response" };
    }
    // The next expiry is known here (the alarm is the only other writer): no storage read per response.
    this.#alarmAt ??= await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt > r.expiresAt) {
      this.#alarmAt = r.expiresAt;
      await this.ctx.storage.setAlarm(r.expiresAt);
    }
    return { ok: true };
  }

  async get(id: string): Promise<Lookup> {
    const row = this.#row(id, "response");
    return row ? { ok: true, response: row.response as string } : { ok: false };
  }

  /** Every turn's items from the first response of the chain to `id`, oldest first. */
  async conversation(id: string): Promise<Conversation> {
    const turns: string[] = [];
    let next: string | null = id;
    while (next !== null) {
      if (turns.length >= MAX_TURNS) return { ok: false, reason: "too_long" };
      const row = this.#row(next, "items, previous_id");
      // A missing link (expired or deleted earlier turn) only matters for the one the caller named.
      if (!row) {
        if (next === id) return { ok: false, reason: "not_found" };
        break;
      }
      turns.push(row.items === "" ? this.#pieces(next) : (row.items as string));
      next = (row.previous_id as string | null) ?? null;
    }
    return { ok: true, turns: turns.reverse() };
  }

  async remove(id: string): Promise<{ deleted: boolean }> {
    const cursor = this.#sql.exec("DELETE FROM responses WHERE id = ? AND expires_at > ?", id, Date.now());
    if (cursor.rowsWritten > 0) this.#sql.exec("DELETE FROM response_parts WHERE id = ?", id);
    return { deleted: cursor.rowsWritten > 0 };
  }

  /** Retention: delete what expired, then sleep until the next expiry. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#sql.exec("DELETE FROM responses WHERE expires_at <= ?", now);
    this.#sql.exec("DELETE FROM response_parts WHERE id NOT IN (SELECT id FROM responses)");
    const next = this.#sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM responses").toArray()[0]?.at ?? null;
    this.#alarmAt = next === null ? null : Math.max(next, now + 1000);
    if (this.#alarmAt !== null) await this.ctx.storage.setAlarm(this.#alarmAt);
  }

  /** A turn's items stored in pieces, put back together. */
  #pieces(id: string): string {
    return this.#sql
      .exec<{ part: string }>("SELECT part FROM response_parts WHERE id = ? ORDER BY seq", id)
      .toArray()
      .map((p) => p.part)
      .join("");
  }

  /** Rows past their expiry are gone even before the alarm has run. */
  #row(id: string, columns: string): Row | undefined {
    return this.#sql.exec<Row>(`SELECT ${columns} FROM responses WHERE id = ? AND expires_at > ?`, id, Date.now()).toArray()[0];
  }
}
