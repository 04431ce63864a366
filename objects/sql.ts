// Storage helpers over a Durable Object's SQLite: an idempotent versioned schema and JSON state rows.

/** Run each migration once, in order, recording the version reached (STYLE.md: cloudflare/agents). */
export function migrate(sql: SqlStorage, migrations: readonly string[]): void {
  sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
  const from = row ? Number(row.value) : 0;
  for (let v = from; v < migrations.length; v++) {
    sql.exec(migrations[v] as string);
    sql.exec(
      "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      String(v + 1),
    );
  }
}

/** Small JSON documents keyed by name: the actor's whole state is a handful of them. */
export class StateRows {
  readonly #sql: SqlStorage;
  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }
  get<T>(key: string): T | undefined {
    const row = this.#sql.exec<{ value: string }>("SELECT value FROM state WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : undefined;
  }
  put(key: string, value: unknown): void {
    this.#sql.exec(
      "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      key,
      JSON.stringify(value),
    );
  }
}

export const STATE_TABLE = "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

/** Longest a counter change waits in memory before it is written (the most a crash could lose). */
export const FLUSH_MS = 1000;

/**
 * Writes that may wait: hot counters are exact in memory and reach disk at most every FLUSH_MS, in one SQLite
 * commit for many requests and never on a caller's critical path. Urgent changes are written at once.
 */
export class DeferredRows {
  readonly #rows: StateRows;
  readonly #dirty = new Map<string, () => unknown>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(rows: StateRows) {
    this.#rows = rows;
  }

  /** Persist `value()` under `key`, now when urgent, otherwise with the next flush (reading the latest value then). */
  save(key: string, value: () => unknown, urgent = false): void {
    if (urgent) {
      this.#dirty.delete(key);
      this.#rows.put(key, value());
      return;
    }
    this.#dirty.set(key, value);
    this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [key, value] of this.#dirty) this.#rows.put(key, value());
    this.#dirty.clear();
  }
}
