// The eight built-in providers: endpoints, env vars, daily reset zones and account-wide pools.
// Every number cites /work/shared/PROVIDERS.md (§ = section there) and the document behind it.
import type { ProviderSpec } from "./types.ts";

export const PROVIDERS: readonly ProviderSpec[] = [
  {
    id: "groq",
    name: "Groq",
    dialect: "groq",
    baseUrl: "https://api.groq.com/openai/v1",
    baseUrlEnv: "GROQ_BASE_URL",
    keyEnv: "GROQ_API_KEY",
    dailyResetTimeZone: "UTC",
    dailyRefill: "rolling",
    // "Cached tokens do not count" toward the limits (PROVIDERS.md §2, console.groq.com/docs/rate-limits.md [Official]).
    cachedTokensFree: true,
    prefill: true,
    prefillSource: "console.groq.com/docs/prefilling [Official]: the model continues from a trailing assistant message",
    source:
      "PROVIDERS.md §0/§2: console.groq.com/docs/openai [Official]; daily reset time zone not documented, UTC assumed; daily allowance refills continuously: x-ratelimit-reset-requests (RPD) reads \"2m59.56s\" (Groq docs quoted in Pythagora-io/gpt-pilot#862), a TPD 429 says \"try again in 9m38.016s\" (continuedev/continue#10920)",
  },
  {
    id: "gemini",
    name: "Google Gemini",
    dialect: "gemini",
    baseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
    baseUrlEnv: "GEMINI_BASE_URL",
    keyEnv: "GEMINI_API_KEY",
    dailyResetTimeZone: "America/Los_Angeles",
    // The free tier's TPM is GenerateContentInputTokensPerModelPerMinute: input tokens only (PROVIDERS.md §3b).
    tokenLimitsCount: "input",
    prefill: false,
    prefillSource: "not documented (PROVIDERS.md has no prefill entry): rescues restart and suppress the repeated prefix",
    source:
      "PROVIDERS.md §0/§3a: ai.google.dev/gemini-api/docs/openai [Official]; RPD resets at midnight Pacific, limits per project (§3b: krater.ai, dev.akitao.com [3P]); TPM counts input tokens (§3b: quotaId GenerateContentInputTokensPerModelPerMinute, cheahjs table 'TPM (input)')",
  },
  {
    id: "cerebras",
    name: "Cerebras",
    dialect: "cerebras",
    baseUrl: "https://api.cerebras.ai/v1",
    baseUrlEnv: "CEREBRAS_BASE_URL",
    keyEnv: "CEREBRAS_API_KEY",
    dailyResetTimeZone: "UTC",
    // Cerebras reserves max_completion_tokens (16,384 when absent) against TPM before running the request;
    // on a 30K-TPM free key that default leaves room for about one request a minute. 4,096 allows several.
    capMaxTokens: 4096,
    // Observed: the reservation is capped at 16,384 (PROVIDERS.md §4, dcdpr/jp#1085 [3P]).
    reservationCap: 16_384,
    prefill: false,
    prefillSource: "not documented (PROVIDERS.md has no prefill entry): rescues restart and suppress the repeated prefix",
    source:
      "PROVIDERS.md §0/§4: inference-docs.cerebras.ai/resources/openai [Official]; up-front reservation per support/rate-limits [Official] and dcdpr/jp#1085 (2026-09-04) [3P]; capMaxTokens 4,096 is our choice; the reservation's 16,384 cap per dcdpr/jp#1085 [3P]; daily reset time zone not documented, UTC assumed",
  },
  {
    id: "sambanova",
    name: "SambaNova Cloud",
    dialect: "sambanova",
    baseUrl: "https://api.sambanova.ai/v1",
    baseUrlEnv: "SAMBANOVA_BASE_URL",
    keyEnv: "SAMBANOVA_API_KEY",
    dailyResetTimeZone: "UTC",
    prefill: false,
    prefillSource: "not documented (PROVIDERS.md has no prefill entry): rescues restart and suppress the repeated prefix",
    source:
      "PROVIDERS.md §0/§5: docs.sambanova.ai/docs/en/features/openai-compatibility [Official]; daily reset time zone not documented, UTC assumed",
  },
  {
    id: "nvidia",
    name: "NVIDIA NIM",
    dialect: "nvidia",
    baseUrl: "https://integrate.api.nvidia.com/v1",
    baseUrlEnv: "NVIDIA_BASE_URL",
    keyEnv: "NVIDIA_API_KEY",
    dailyResetTimeZone: "UTC",
    pools: [
      {
        id: "nvidia:account",
        provider: "nvidia",
        limits: { rpm: 40 },
        source:
          "PROVIDERS.md §6: ~40 RPM per account across models (NVIDIA developer forums via 3P catalog 2026-02-28; cheahjs README 2026-07 \"40 requests/minute\") [3P]; NVIDIA publishes no per-model limits",
      },
    ],
    prefill: false,
    prefillSource: "not documented (PROVIDERS.md has no prefill entry): rescues restart and suppress the repeated prefix",
    source:
      "PROVIDERS.md §0/§6: integrate.api.nvidia.com/v1 (posit-dev raghilda docs, LangChain NVIDIA) [3P]; no daily cap documented, UTC assumed",
  },
  {
    id: "openrouter",
    name: "OpenRouter",
    dialect: "openrouter",
    baseUrl: "https://openrouter.ai/api/v1",
    baseUrlEnv: "OPENROUTER_BASE_URL",
    keyEnv: "OPENROUTER_API_KEY",
    dailyResetTimeZone: "UTC",
    pools: [
      {
        id: "openrouter:free",
        provider: "openrouter",
        // 50 RPD is the tier below 10 credits ever purchased; an operator with ≥10 credits overrides to 1,000.
        limits: { rpm: 20, rpd: 50 },
        source:
          "PROVIDERS.md §7: OpenRouterTeam/docs api_reference/limits.mdx (2026-08) [Official]: :free models 20 RPM, 50 RPD below 10 credits purchased (1,000 RPD at ≥10), account-wide across models and keys",
      },
    ],
    prefill: true,
    prefillSource: "openrouter.ai/docs/api-reference/overview [Official]: assistant prefill — a trailing assistant message is completed",
    source:
      "PROVIDERS.md §0/§7: OpenRouterTeam/docs api_reference [Official]; free_model_daily_requests is a UTC-day counter (openrouter.ai/docs/client-sdks/typescript/models/freemodeldailyrequests)",
  },
  {
    id: "voyage",
    name: "Voyage AI",
    dialect: "voyage",
    baseUrl: "https://api.voyageai.com/v1",
    baseUrlEnv: "VOYAGE_BASE_URL",
    keyEnv: "VOYAGE_API_KEY",
    dailyResetTimeZone: "UTC",
    prefill: false,
    prefillSource: "not documented (PROVIDERS.md has no prefill entry): rescues restart and suppress the repeated prefix",
    source:
      "PROVIDERS.md §0/§8: api.voyageai.com/v1 (LangChain VoyageEmbeddings; MongoDB Voyage API overview); embeddings only; no daily limit documented, UTC assumed",
  },
  {
    id: "workers-ai",
    name: "Cloudflare Workers AI",
    dialect: "workers-ai",
    baseUrl: "https://api.cloudflare.com/client/v4/accounts/{CLOUDFLARE_ACCOUNT_ID}/ai/v1",
    baseUrlEnv: "WORKERS_AI_BASE_URL",
    keyEnv: "CLOUDFLARE_API_TOKEN",
    requiresEnv: ["CLOUDFLARE_ACCOUNT_ID"],
    dailyResetTimeZone: "UTC",
    // Workers AI's own default is max_tokens 256, which truncates answers silently (finish looks normal);
    // we always send a value, 4,096 when the caller gives none.
    defaultMaxTokens: 4096,
    pools: [
      {
        id: "workers-ai:account",
        provider: "workers-ai",
        // No rpd/tpd: the daily allowance is in neurons, which have no fixed token rate across models.
        limits: { rpm: 300 },
        source:
          "PROVIDERS.md §9d: Text Generation 300 RPM task limit (platform/limits.mdx, older stored version @12de122 [Official]; current value UNCONFIRMED). The 10,000-neurons/day allocation (platform/pricing.mdx [Official]) is account-wide and cannot be expressed as tokens; it is enforced by cooling this pool on 3036/4006 errors until 00:00 UTC",
      },
    ],
    prefill: false,
    prefillSource: "not documented (PROVIDERS.md has no prefill entry): rescues restart and suppress the repeated prefix",
    source:
      "PROVIDERS.md §0/§9b: configuration/open-ai-compatibility.mdx [Official]; \"All limits reset daily at 00:00 UTC\" (§9d, platform/pricing.mdx [Official]); max_tokens default 256 (§9a, workers-ai-models/*.json [Official])",
  },
];
