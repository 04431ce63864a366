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
