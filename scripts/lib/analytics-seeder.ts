// A bench-only Worker (never deployed) that writes request-log records into the gateway's own day ledgers.
// `npm run bench`'s analytics section needs 7 days of traffic for 40 models, and sending 7 days of real traffic
// is impossible in a benchmark, so the records are made up by the bench and appended here instead — through the
// RequestLedger's own append(), into the actors worker/ledger.ts would pick (ledgerName) with the day end it
// would pass (nextReset in UTC) and the gateway's LOG_RETENTION_DAYS. The analytics queries then find them
// exactly as they would find records of real requests. workerd runs this beside the gateway (a second service
// bound to the gateway's RequestLedger class; scripts/lib/workerd.ts `sidecars`); esbuild bundles it.

import type { RequestRecord } from "../../shared/analytics.ts";
import { nextReset } from "../../objects/day.ts";
import type { RequestLedger } from "../../objects/request-ledger.ts";
import type { Env } from "../../worker/env.ts";
import { ledgerName } from "../../worker/ledger.ts";
import { settingsFor } from "../../worker/settings.ts";

interface SeederEnv {
  REQUEST_LEDGER: DurableObjectNamespace<RequestLedger>;
  LOG_RETENTION_DAYS?: string;
}

/** As worker/ledger.ts: an isolate sends at most this many records in one append. */
const BATCH = 200;

export default {
  async fetch(req: Request, env: SeederEnv): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/health") return new Response("ok");
    if (req.method !== "POST" || url.pathname !== "/seed") return new Response("POST /seed with a JSON list of request records", { status: 404 });
    const records = (await req.json()) as RequestRecord[];
    // The same settings reader as the gateway's (only LOG_RETENTION_DAYS matters here).
    const retentionDays = settingsFor(env as unknown as Env).logRetentionDays;
    const byLedger = new Map<string, RequestRecord[]>();
    for (const r of records) {
      const name = ledgerName(r.ts);
      const list = byLedger.get(name) ?? [];
      list.push(r);
      byLedger.set(name, list);
    }
    for (const [name, list] of byLedger) {
      const ledger = env.REQUEST_LEDGER.getByName(name);
      for (let i = 0; i < list.length; i += BATCH) {
        const batch = list.slice(i, i + BATCH);
        await ledger.append(batch, retentionDays, nextReset("UTC", (batch[0] as RequestRecord).ts));
      }
    }
    return Response.json({ appended: records.length, ledgers: [...byLedger.keys()] });
  },
};
