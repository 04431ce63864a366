// Shapes of the provider/model catalog: facts as data, each number with its source (STYLE.md habit 11).

/** Wire dialect: how a provider deviates from plain OpenAI (errors, headers, stream quirks, params). */
export type Dialect =
  | "groq"
  | "gemini"
  | "cerebras"
  | "sambanova"
  | "nvidia"
  | "openrouter"
  | "workers-ai"
  | "voyage"
  | "openai";

/** Free-tier limits. Absent = no known limit of that kind. */
export interface Limits {
  /** requests per minute */
  rpm?: number;
  /** requests per day (reset at the provider's daily reset) */
  rpd?: number;
  /** tokens per minute (prompt + completion) */
  tpm?: number;
  /** tokens per day */
  tpd?: number;
  /** requests in flight at once */
  concurrency?: number;
}

export type LimitName = keyof Limits;
export const LIMIT_NAMES: readonly LimitName[] = ["rpm", "rpd", "tpm", "tpd", "concurrency"];

/** A limit shared by several models (account-wide allowance). One actor per pool. */
export interface PoolSpec {
  /** e.g. "openrouter:free", "nvidia:account" */
  id: string;
  provider: string;
  limits: Limits;
  /** where the numbers come from (document, date) */
  source: string;
}

export interface ProviderSpec {
  /** short id, also the first segment of every model id: "groq", "workers-ai" */
  id: string;
  name: string;
  dialect: Dialect;
  /** OpenAI-compatible root; `${baseUrl}/chat/completions`. May contain `{CLOUDFLARE_ACCOUNT_ID}`. */
  baseUrl: string;
  /** env var that overrides baseUrl, e.g. "GROQ_BASE_URL" */
  baseUrlEnv: string;
  /** env var holding the API key; the provider is live when it is set */
  keyEnv: string;
  /** other env vars that must also be set (Workers AI needs the account id) */
  requiresEnv?: string[];
  /** IANA time zone whose midnight resets the daily allowance */
  dailyResetTimeZone: string;
  /**
   * How the daily allowance comes back: all at that midnight ("midnight", the default), or continuously, a day's
   * worth over every 24 hours ("rolling"), so what was used an hour ago is partly back already.
   */
  dailyRefill?: "midnight" | "rolling";
  /** per-provider default for requests with no max_tokens (Workers AI defaults to 256 and truncates silently) */
  defaultMaxTokens?: number;
  /** upper bound we send when the caller sets none (Cerebras reserves max_completion_tokens against TPM up front) */
  capMaxTokens?: number;
  /** the most the provider reserves up front for one answer, whatever max_completion_tokens says (Cerebras) */
  reservationCap?: number;
  /** what its token limits (TPM, TPD) count: prompt and answer ("all", the default), or the prompt alone ("input") */
  tokenLimitsCount?: "all" | "input";
  /** prompt tokens served from the provider's cache do not count against its token limits */
  cachedTokensFree?: true;
  pools?: PoolSpec[];
  /**
   * Continues a partial answer: a request whose last message is the assistant's unfinished text is answered
   * with the rest of it. Mid-stream rescue sends such a request only where this is true.
   */
  prefill: boolean;
  /** where `prefill` comes from */
  prefillSource: string;
  source: string;
}

export type Tier = "small" | "medium" | "large";

export interface ModelSpec {
  /** `${provider}/${upstream}` — the public id and the actor name */
  id: string;
  provider: string;
  /** the model name the provider expects in the request body */
  upstream: string;
  kind: "chat" | "embedding";
  /** family alias hosted by several providers, e.g. "llama-3.3-70b", "gpt-oss-120b" */
  family?: string;
  /** rough capability class, used by auto presets */
  tier: Tier;
  /** served context window, tokens */
  context: number;
  /** max output tokens */
  maxOutput: number;
  tools: boolean;
  /** response_format json_object */
  json: boolean;
  /** response_format json_schema */
  jsonSchema: boolean;
  vision: boolean;
  reasoning: boolean;
  /** Gemma on the Gemini API rejects system instructions; fold them into the first user turn */
  noSystemRole?: boolean;
  limits: Limits;
  /** id of a PoolSpec whose limits this model also consumes */
  pool?: string;
  /** embeddings only: vector size and batch limit */
  dimensions?: number;
  maxBatch?: number;
  /**
   * embeddings only: the `dimensions` a caller may ask for (Matryoshka models: a range or a list of sizes).
   * Absent: the vector size is fixed at `dimensions`.
   */
  dimensionOptions?: DimensionOptions;
  /** where the limit numbers come from (document, date) */
  limitsSource: string;
  /** where the capability flags come from */
  capsSource: string;
}

/** Output sizes an embedding model can produce on request. */
export type DimensionOptions = { min: number; max: number } | readonly number[];

/** A named `auto:<preset>` route: a filter over the catalog plus a ranking bias. */
export interface PresetSpec {
  id: string;
  description: string;
  minTier?: Tier;
  requires?: Array<"tools" | "vision" | "reasoning" | "json">;
  minContext?: number;
  /** weight on measured latency when ranking (0 = ignore, 1 = default) */
  latencyWeight: number;
}

/** An OpenAI-compatible provider added by the operator through CUSTOM_PROVIDERS (JSON). */
export interface CustomProviderInput {
  id: string;
  baseUrl: string;
  apiKey?: string;
  /** model names, objects with limits/capabilities, or "*" for any model name */
  models: "*" | Array<string | (Partial<Omit<ModelSpec, "id" | "provider">> & { upstream: string })>;
  limits?: Limits;
  /** the endpoint continues an assistant prefill (default false: rescues restart instead) */
  prefill?: boolean;
}
