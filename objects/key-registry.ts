// KeyRegistry: the one list of gateway keys (a single Durable Object). Keys are stored only as SHA-256 hashes;
// each key's record is pushed to its ClientLimiter, which the request path asks.

import { DurableObject } from "cloudflare:workers";
import type { KeyPriority, KeyQuota, KeyRecord } from "../shared/access.ts";
import type { ClientLimiter } from "./client-limiter.ts";
import { sha256Hex } from "../shared/hash.ts";
import { migrate } from "./sql.ts";

interface RegistryEnv {
  CLIENT_LIMITER: DurableObjectNamespace<ClientLimiter>;
}

const MIGRATIONS = [
  `CREATE TABLE keys (
     id TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     record TEXT NOT NULL
   )`,
  // Each hand-over to the limiter carries the record's version: two changes in flight (a revoke and a quota change)
  // may arrive in either order, and the limiter keeps the newer one.
  "ALTER TABLE keys ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
];

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomString(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  // 256 is not a multiple of 62: skip the biased top values so every character is equally likely.
  for (const b of bytes) if (b < 248) out += ALPHABET[b % 62];
  return out.length >= length ? out.slice(0, length) : out + randomString(length - out.length);
}

/** The ClientLimiter that speaks for a key: named by the key's hash, so the request path needs no lookup. */
export function limiterName(hash: string): string {
  return `key:${hash}`;
}

export interface CreatedKey {
  /** the only time the key itself is ever shown */
  key: string;
  record: KeyRecord;
}

export class KeyRegistry extends DurableObject<RegistryEnv> {
  constructor(ctx: DurableObjectState, env: RegistryEnv) {
    super(ctx, env);
    migrate(ctx.storage.sql, MIGRATIONS);
  }

  #rows(): Array<{ id: string; hash: string; record: KeyRecord }> {
    return this.ctx.storage.sql
      .exec<{ id: string; hash: string; record: string }>("SELECT id, hash, record FROM keys ORDER BY rowid")
      .toArray()
      .map((r) => ({ id: r.id, hash: r.hash, record: JSON.parse(r.record) as KeyRecord }));
  }

  #find(id: string): { hash: string; record: KeyRecord } | null {
    const row = this.ctx.storage.sql.exec<{ hash: string; record: string }>("SELECT hash, record FROM keys WHERE id = ?", id).toArray()[0];
    return row ? { hash: row.hash, record: JSON.parse(row.record) as KeyRecord } : null;
  }

  /** Store the record and hand it to the key's limiter before answering, so a change applies to the next request. */
  async #publish(hash: string, record: KeyRecord): Promise<KeyRecord> {
    const [row] = this.ctx.storage.sql
      .exec<{ version: number }>("UPDATE keys SET record = ?, version = version + 1 WHERE hash = ? RETURNING version", JSON.stringify(record), hash)
      .toArray();
    await this.env.CLIENT_LIMITER.getByName(limiterName(hash)).setRecord(record, row?.version ?? 1);
    return record;
  }

  async create(input: { label: string; quota?: KeyQuota; models?: string[] | null; priority?: KeyPriority }): Promise<CreatedKey> {
    const key = `fw_${randomString(40)}`;
    const hash = await sha256Hex(key);
    const record: KeyRecord = {
      id: `key_${randomString(16)}`,
      label: input.label,
      createdAt: Date.now(),
      revokedAt: null,
      quota: input.quota ?? {},
      models: input.models ?? null,
      hint: key.slice(-4),
      priority: input.priority ?? "normal",
    };
    this.ctx.storage.sql.exec("INSERT INTO keys (id, hash, record) VALUES (?, ?, ?)", record.id, hash, JSON.stringify(record));
    await this.#publish(hash, record);
    return { key, record };
  }

  async list(): Promise<KeyRecord[]> {
    return this.#rows().map((r) => r.record);
  }

  async get(id: string): Promise<KeyRecord | null> {
    return this.#find(id)?.record ?? null;
  }

  async revoke(id: string): Promise<KeyRecord | null> {
    const found = this.#find(id);
    if (!found) return null;
    // Revoked already: handed to the limiter again, in case the first hand-over failed (the operator's retry).
    if (found.record.revokedAt !== null) return this.#publish(found.hash, found.record);
    return this.#publish(found.hash, { ...found.record, revokedAt: Date.now() });
  }

  async update(id: string, change: { quota?: KeyQuota; models?: string[] | null; label?: string; priority?: KeyPriority }): Promise<KeyRecord | null> {
    const found = this.#find(id);
    if (!found) return null;
    const next: KeyRecord = {
      ...found.record,
      ...(change.label !== undefined ? { label: change.label } : {}),
      ...(change.quota !== undefined ? { quota: change.quota } : {}),
      ...(change.models !== undefined ? { models: change.models } : {}),
      ...(change.priority !== undefined ? { priority: change.priority } : {}),
    };
    return this.#publish(found.hash, next);
  }
}
