// AuditLog: every change an operator makes through the admin API — who, when, what, old → new. One object.

import { DurableObject } from "cloudflare:workers";
import { migrate } from "./sql.ts";

export interface AuditEntry {
  ts: number;
  /** who made the change (the operator label the admin client sends, or "admin") */
  actor: string;
  /** what was changed: "models.setLimits groq/llama-3.3-70b-versatile", "keys.revoke key_…" */
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export class AuditLog extends DurableObject<Record<string, never>> {
  constructor(ctx: DurableObjectState, env: Record<string, never>) {
    super(ctx, env);
    migrate(ctx.storage.sql, ["CREATE TABLE entries (ts INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, before TEXT, after TEXT)"]);
  }

  async record(e: AuditEntry): Promise<void> {
    this.ctx.storage.sql.exec("INSERT INTO entries VALUES (?, ?, ?, ?, ?)", e.ts, e.actor, e.action, JSON.stringify(e.before ?? null), JSON.stringify(e.after ?? null));
  }

  async list(limit = 100, before?: number): Promise<AuditEntry[]> {
    const rows = this.ctx.storage.sql
      .exec<{ ts: number; actor: string; action: string; before: string; after: string }>(
        `SELECT * FROM entries ${before !== undefined ? "WHERE ts < ?" : ""} ORDER BY ts DESC LIMIT ${Math.min(Math.max(1, limit), 1000)}`,
        ...(before !== undefined ? [before] : []),
      )
      .toArray();
    return rows.map((r) => ({
      ts: r.ts,
      actor: r.actor,
      action: r.action,
      before: JSON.parse(r.before) as Record<string, unknown> | null,
      after: JSON.parse(r.after) as Record<string, unknown> | null,
    }));
  }
}
