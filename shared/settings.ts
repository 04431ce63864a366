// Every setting freeway reads, in one list: the README's table, `npm run serve` and the demo all take it from here.

import { PROVIDERS } from "./catalog/providers.ts";

export interface SettingSpec {
  name: string;
  /** secrets go in `wrangler secret put` / `.dev.vars`, never in wrangler.toml */
  secret: boolean;
  default: string;
  description: string;
}

const providerSettings: SettingSpec[] = PROVIDERS.flatMap((p) => [
  { name: p.keyEnv, secret: true, default: "", description: `${p.name} API key; the provider is live when it is set` },
  { name: p.baseUrlEnv, secret: false, default: p.baseUrl, description: `${p.name} OpenAI-compatible root (point it at a proxy or the simulator)` },
  ...(p.requiresEnv ?? []).map((name) => ({ name, secret: false, default: "", description: `needed with ${p.keyEnv} for ${p.name}` })),
]);

/** Numeric knobs of the request path; `worker/settings.ts` reads them under their `key`. */
export const TUNING = [
  { key: "maxBodyBytes", name: "MAX_BODY_BYTES", default: 4 * 1024 * 1024, description: "largest request body accepted (413 above)" },
  { key: "totalTimeoutMs", name: "TOTAL_TIMEOUT_MS", default: 120_000, description: "no new failover attempt starts after this long" },
  { key: "firstByteTimeoutMs", name: "FIRST_BYTE_TIMEOUT_MS", default: 30_000, description: "a streaming attempt with no response headers after this long fails over" },
  {
    key: "responseTimeoutMs",
    name: "RESPONSE_TIMEOUT_MS",
    default: 90_000,
    description: "a non-streaming attempt with no complete answer after this long fails over (providers answer only when done)",
  },
  { key: "firstTokenTimeoutMs", name: "FIRST_TOKEN_TIMEOUT_MS", default: 30_000, description: "a stream with no content after this long (before the commit) fails over" },
  { key: "idleTimeoutMs", name: "IDLE_TIMEOUT_MS", default: 30_000, description: "a committed stream that sends no bytes this long is a stall and ends with an error event (keep-alives alone count for RESPONSE_TIMEOUT_MS at most)" },
  { key: "maxAttempts", name: "MAX_ATTEMPTS", default: 8, description: "upstream attempts per request at most" },
  { key: "bidDeadlineMs", name: "BID_DEADLINE_MS", default: 2_000, description: "actor bids slower than this are dropped" },
  { key: "bidFanout", name: "BID_FANOUT", default: 2, description: "candidates asked in parallel when this isolate's picture of them is stale" },
  { key: "reportFlushMs", name: "REPORT_FLUSH_MS", default: 100, description: "outcomes no later bid carried to their model are sent on their own after this long" },
  {
    key: "creditMs",
    name: "CREDIT_MS",
    default: 1_000,
    min: 0,
    max: 1_000,
    description:
      "a busy model or client's actor grants each isolate admissions ahead, spent for up to this long without an actor call; the longest a cooldown, limit change or revocation made in another isolate takes to reach it (0 = ask the actor on every request)",
  },
  { key: "logFlushMs", name: "LOG_FLUSH_MS", default: 1000, description: "request-log records are sent to the day's ledger in batches at least this often" },
  { key: "logRetentionDays", name: "LOG_RETENTION_DAYS", default: 7, description: "days the request log and its rollups are kept" },
  { key: "responseRetentionDays", name: "RESPONSE_RETENTION_DAYS", default: 30, description: "stored Responses API answers (`store: true`) are deleted after this many days" },
  {
    key: "hedgeAfterMs",
    name: "HEDGE_AFTER_MS",
    default: 5_000,
    min: 0,
    description: "a request with no first token after its model's usual p95 wait (at most this long) is also sent to another provider with ample headroom; the first to answer wins (0 = never hedge)",
  },
  { key: "hedgeMinMs", name: "HEDGE_MIN_MS", default: 1_000, description: "a hedge never starts sooner than this, however fast the model usually is" },
  {
    key: "maxRetryWaitMs",
    name: "MAX_RETRY_WAIT_MS",
    default: 3_000,
    min: 0,
    description: "a 429 whose Retry-After is at most this long is waited out when every alternative is scarce or busy; longer waits fail over at once (0 = never wait)",
  },
  {
    key: "priorityReservePercent",
    name: "PRIORITY_RESERVE_PERCENT",
    default: 10,
    min: 0,
    max: 100,
    description: "share of each daily allowance only high-priority gateway keys may use",
  },
  {
    key: "pacingBurstPercent",
    name: "PACING_BURST_PERCENT",
    default: 10,
    min: 0,
    max: 100,
    description: "share of a daily allowance usable at the start of the day; the rest becomes available evenly until the reset",
  },
] as const;

export const SETTINGS: readonly SettingSpec[] = [
  ...providerSettings.filter((s, i, all) => all.findIndex((o) => o.name === s.name) === i),
  {
    name: "CUSTOM_PROVIDERS",
    secret: true,
    default: "",
    description: 'JSON list of extra OpenAI-compatible providers: [{"id","baseUrl","apiKey"?,"models":[…] or "*","limits"?}]',
  },
  { name: "ACCESS", secret: false, default: "keys", description: '"keys": only gateway keys are served; "open": anonymous callers too, limited per client address' },
  { name: "ANON_BURST", secret: false, default: "10", description: "open mode: requests an anonymous client may send at once" },
  { name: "ANON_RPM", secret: false, default: "20", description: "open mode: requests per minute an anonymous client's allowance refills" },
  { name: "ADMIN_TOKEN", secret: true, default: "", description: "bearer token for /admin/trpc (the admin client and CLI); unset = admin API off" },
  { name: "CORS_ORIGINS", secret: false, default: "", description: 'comma-separated origins allowed to call from a browser, or "*"; unset = no CORS' },
  { name: "TRUST_FORWARDED_FOR", secret: false, default: "", description: '"true" behind a proxy that sets X-Forwarded-For (self-hosting); on Cloudflare CF-Connecting-IP is used' },
  {
    name: "EMBEDDING_MODEL",
    secret: false,
    default: "",
    description: 'the embedding space `model: "auto"` uses on /v1/embeddings: a model id or a family alias (unset = the first configured in the catalog\'s preference order)',
  },
  {
    name: "DAILY_PACING",
    secret: false,
    default: "on",
    description: '"on": each daily allowance is spread over the day so it lasts until its reset; "off": it may be used up early',
  },
  ...TUNING.map((t) => ({ name: t.name, secret: false, default: String(t.default), description: t.description })),
];
