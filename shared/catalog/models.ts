// Built-in chat and embedding models with their free-tier limits and capabilities.
// Every number cites /work/shared/PROVIDERS.md (§ = section there) and the document behind it;
// "assumed" marks a value PROVIDERS.md does not give, with the reason.
import type { Limits, ModelSpec } from "./types.ts";

type ChatEntry = Omit<ModelSpec, "id" | "provider" | "upstream" | "kind" | "dimensions" | "maxBatch">;

type EmbeddingEntry = Pick<ModelSpec, "family" | "context" | "limits" | "pool" | "dimensionOptions" | "limitsSource" | "capsSource"> & {
  dimensions: number;
  maxBatch: number;
};

function chat(provider: string, upstream: string, entry: ChatEntry): ModelSpec {
  return { id: `${provider}/${upstream}`, provider, upstream, kind: "chat", ...entry };
}

function embedding(provider: string, upstream: string, entry: EmbeddingEntry): ModelSpec {
  return {
    id: `${provider}/${upstream}`,
    provider,
    upstream,
    kind: "embedding",
    tier: "small",
    // An embedding produces no tokens; 0 keeps token reservations (TPM) from counting any output.
    maxOutput: 0,
    tools: false,
    json: false,
    jsonSchema: false,
    vision: false,
    reasoning: false,
    ...entry,
  };
}

// Limits shared by every model of a provider; functions so no two models share one mutable object.
const nvidiaLimits = (): Limits => ({ rpm: 40 });
const openrouterLimits = (): Limits => ({ rpm: 20 });
const workersAiChatLimits = (): Limits => ({ rpm: 300 });

const GROQ_LIMITS =
  "PROVIDERS.md §2 free-tier table (console.groq.com/docs/rate-limits, ~2025-Q4) [Official]; RPD/TPM confirmed by live headers 2026-07-18 (cheahjs README)";
const GROQ_CAPS = "PROVIDERS.md §2 capabilities (models.dev providers/groq, 2026-07-02) [3P]";

/** A Groq compound system (§2/§10): no caller tools, one free allowance for both. */
function groqCompound(upstream: string, tier: ModelSpec["tier"], row: number): ModelSpec {
  return chat("groq", upstream, {
    tier,
    context: 131_072,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: { rpm: 30, rpd: 250, tpm: 70_000 },
    limitsSource: `${GROQ_LIMITS}; no TPD listed`,
    capsSource: `${GROQ_CAPS}: built-in tools only, structured output "–"; §10 row ${row}`,
  });
}

const GEMINI_LIMITS =
  "PROVIDERS.md §3b free-tier table (cheahjs README 2026-07-18, read from the Cloud Quotas API) [3P]; its TPM counts input tokens only";
const GEMINI_CAPS =
  "PROVIDERS.md §3b capabilities (models.dev, 2026-07-02) [3P]; json_schema via response_format (§3a, ai.google.dev/gemini-api/docs/openai [Official])";
const GEMMA3_CAPS =
  "PROVIDERS.md §3b/§10 rows 16–19: system instruction rejected (\"Developer instruction is not enabled\", CherryHQ/cherry-studio#3242 et al. [3P]); tools UNCONFIRMED so off; JSON not listed so off; max output not documented, 8,192 assumed";

const CEREBRAS_LIMITS =
  "PROVIDERS.md §4 \"Free Trial\" row (api-evangelist yml generated 2026-07-18 from docs; harn-vm verified 2026-06-05) [3P]: 5 RPM, 30K TPM, 1M TPH (not expressible), 1M TPD; the older docs mirror (~early 2026) said 30 RPM / 14.4K RPD / 60K TPM";
const CEREBRAS_CAPS = "PROVIDERS.md §4 capabilities (models.dev, 2026-07-02) [3P]";

const SAMBANOVA_LIMITS =
  "PROVIDERS.md §5: 200,000 tokens/day seen in a free-tier 429 \"Violated duration_s: 86400\" (curiosityengine SAMBANOVA_RATE_LIMIT.md) [3P, UNCONFIRMED whether per model or per account]; free-tier RPM/RPD UNCONFIRMED so none set (developer tier 60–240 RPM per docs.sambanova.ai/docs/en/models/rate-limits [Official] is not the free tier)";

const NVIDIA_LIMITS =
  "PROVIDERS.md §6: ~40 RPM per account across models (NVIDIA forums via 3P catalog 2026-02-28; cheahjs 2026-07) [3P], also held by pool nvidia:account; no daily cap since credits were retired late 2025 (diegosouzapw/OmniRoute#6846) [3P]";
const NVIDIA_CAPS =
  "PROVIDERS.md §6 table (models.dev providers/nvidia, 2026-07-02) [3P]; JSON per §10 column (response_format json_object; NIM prefers nvext.guided_json)";

const OPENROUTER_LIMITS =
  "PROVIDERS.md §7: :free models 20 RPM, 50 RPD below 10 credits, account-wide (OpenRouterTeam/docs api_reference/limits.mdx, 2026-08) [Official]; the shared caps live on pool openrouter:free";
const OPENROUTER_CAPS =
  "PROVIDERS.md §7 snapshot of openrouter.ai/api/v1/models (anomalyco/models.dev models.json, 2026-05-15) [3P snapshot of official API]";

const WORKERS_AI_LIMITS =
  "PROVIDERS.md §9d: Text Generation 300 RPM per task (platform/limits.mdx, older stored version @12de122 [Official], current UNCONFIRMED); the 10,000 neurons/day allocation is account-wide, on pool workers-ai:account";
const WORKERS_AI_CAPS =
  "PROVIDERS.md §9 free text-generation table (cheahjs 2026-07-18 list; models.dev 2026-07-02 [3P]); JSON per §10 column";

const ASSUMED_OUT = "max output not documented, 8,192 assumed";

export const CHAT_MODELS: readonly ModelSpec[] = [
  // Groq (§2). Llama-4, Kimi and allam skipped: the first two left the live list by 2026-07, allam has no ctx data.
  chat("groq", "llama-3.1-8b-instant", {
    family: "llama-3.1-8b",
    tier: "small",
    context: 131_072,
    maxOutput: 131_072,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: false,
    limits: { rpm: 30, rpd: 14_400, tpm: 6_000, tpd: 500_000 },
    limitsSource: GROQ_LIMITS,
    capsSource: `${GROQ_CAPS}; json_object per §10 row 1, json_schema UNCONFIRMED so off`,
  }),
  chat("groq", "llama-3.3-70b-versatile", {
    family: "llama-3.3-70b",
    tier: "large",
    context: 131_072,
    maxOutput: 32_768,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: false,
    limits: { rpm: 30, rpd: 1_000, tpm: 12_000, tpd: 100_000 },
    limitsSource: `${GROQ_LIMITS}; TPD 100K also in a 429 body 2026-02 (continuedev/continue#10920)`,
    capsSource: `${GROQ_CAPS}; structured output "–" there, so json_object only (§10 row 2 says Y)`,
  }),
  chat("groq", "openai/gpt-oss-120b", {
    family: "gpt-oss-120b",
    tier: "large",
    context: 131_072,
    maxOutput: 65_536,
    tools: true, json: true, jsonSchema: true, vision: false, reasoning: true,
    limits: { rpm: 30, rpd: 1_000, tpm: 8_000, tpd: 200_000 },
    limitsSource: GROQ_LIMITS,
    capsSource: GROQ_CAPS,
  }),
  chat("groq", "openai/gpt-oss-20b", {
    family: "gpt-oss-20b",
    tier: "medium",
    context: 131_072,
    maxOutput: 65_536,
    tools: true, json: true, jsonSchema: true, vision: false, reasoning: true,
    limits: { rpm: 30, rpd: 1_000, tpm: 8_000, tpd: 200_000 },
    limitsSource: GROQ_LIMITS,
    capsSource: GROQ_CAPS,
  }),
  chat("groq", "qwen/qwen3.6-27b", {
    tier: "medium",
    context: 131_072,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    // Headers expose RPD and TPM only; 30 RPM is the lowest RPM Groq lists for a chat model.
    limits: { rpm: 30, rpd: 1_000, tpm: 8_000 },
    limitsSource:
      "PROVIDERS.md §2 live headers 2026-07-18 (cheahjs README): 1,000 RPD / 8,000 TPM; RPM not exposed, 30 assumed (lowest chat RPM in the §2 table; predecessor qwen/qwen3-32b had 60); TPD unknown",
    capsSource:
      "PROVIDERS.md §10 row 6: tools Y, reasoning Y, JSON –; ctx is the qwen/qwen3-32b value (§2, models.dev 2026-07-02), UNCONFIRMED for 3.6-27b; " +
      ASSUMED_OUT,
  }),
  // Groq's compound systems answer plain chat with built-in tools (web search, code) of their own: they take no
  // caller tools, so a request with `tools` never lands on them.
  groqCompound("groq/compound", "large", 7),
  groqCompound("groq/compound-mini", "medium", 8),

  // Google Gemini (§3). Limits per project and per model; Gemma takes no system role.
  chat("gemini", "gemini-3.5-flash", {
    tier: "large",
    context: 1_048_576,
    maxOutput: 65_536,
    tools: true, json: true, jsonSchema: true, vision: true, reasoning: true,
    limits: { rpm: 5, rpd: 20, tpm: 250_000 },
    limitsSource: GEMINI_LIMITS,
    capsSource: GEMINI_CAPS,
  }),
  chat("gemini", "gemini-3-flash-preview", {
    tier: "large",
    context: 1_048_576,
    maxOutput: 65_536,
    tools: true, json: true, jsonSchema: true, vision: true, reasoning: true,
    limits: { rpm: 5, rpd: 20, tpm: 250_000 },
    limitsSource: GEMINI_LIMITS,
    capsSource: GEMINI_CAPS,
  }),
  chat("gemini", "gemini-3.1-flash-lite-preview", {
    tier: "medium",
    context: 1_048_576,
    maxOutput: 65_536,
    tools: true, json: true, jsonSchema: true, vision: true, reasoning: true,
    limits: { rpm: 15, rpd: 500, tpm: 250_000 },
    limitsSource: GEMINI_LIMITS,
    capsSource: `${GEMINI_CAPS} (listed there as gemini-3.1-flash-lite)`,
  }),
  chat("gemini", "gemini-2.5-flash", {
    tier: "large",
    context: 1_048_576,
    maxOutput: 65_536,
    tools: true, json: true, jsonSchema: true, vision: true, reasoning: true,
    limits: { rpm: 5, rpd: 20, tpm: 250_000 },
    limitsSource: `${GEMINI_LIMITS}; was 10 RPM / 250 RPD on 2025-09-06 (cheahjs @eae40dc)`,
    capsSource: GEMINI_CAPS,
  }),
  chat("gemini", "gemini-2.5-flash-lite", {
    tier: "medium",
    context: 1_048_576,
    maxOutput: 65_536,
    tools: true, json: true, jsonSchema: true, vision: true, reasoning: true,
    limits: { rpm: 10, rpd: 20, tpm: 250_000 },
    limitsSource: `${GEMINI_LIMITS}; was 15 RPM / 1,000 RPD on 2025-09-06 (cheahjs @eae40dc)`,
    capsSource: GEMINI_CAPS,
  }),
  chat("gemini", "gemma-3-27b-it", {
    tier: "medium",
    context: 131_072,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: true, reasoning: false,
    noSystemRole: true,
    limits: { rpm: 30, rpd: 14_400, tpm: 15_000 },
    limitsSource: GEMINI_LIMITS,
    capsSource: `${GEMMA3_CAPS}; served ctx UNCONFIRMED, 131,072 is the native value (§10 row 16)`,
  }),
  chat("gemini", "gemma-3-12b-it", {
    tier: "small",
    context: 32_768,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: true, reasoning: false,
    noSystemRole: true,
    limits: { rpm: 30, rpd: 14_400, tpm: 15_000 },
    limitsSource: GEMINI_LIMITS,
    capsSource: `${GEMMA3_CAPS}; ctx not documented, 32,768 assumed (conservative)`,
  }),
  chat("gemini", "gemma-3-4b-it", {
    tier: "small",
    context: 32_768,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: true, reasoning: false,
    noSystemRole: true,
    limits: { rpm: 30, rpd: 14_400, tpm: 15_000 },
    limitsSource: GEMINI_LIMITS,
    capsSource: `${GEMMA3_CAPS}; ctx not documented, 32,768 assumed (conservative)`,
  }),
  chat("gemini", "gemma-3-1b-it", {
    tier: "small",
    context: 32_768,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    noSystemRole: true,
    limits: { rpm: 30, rpd: 14_400, tpm: 15_000 },
    limitsSource: GEMINI_LIMITS,
    capsSource: `${GEMMA3_CAPS}; ctx not documented, 32,768 assumed (conservative)`,
  }),

  // Cerebras (§4). Older Llama/Qwen models are retired; the shared list churns (gpt-oss-120b is the stable one).
  chat("cerebras", "gpt-oss-120b", {
    family: "gpt-oss-120b",
    tier: "large",
    context: 65_536,
    maxOutput: 40_960,
    tools: true, json: true, jsonSchema: true, vision: false, reasoning: true,
    limits: { rpm: 5, tpm: 30_000, tpd: 1_000_000 },
    limitsSource: CEREBRAS_LIMITS,
    capsSource: `${CEREBRAS_CAPS}; free-tier ctx 65K, read as 65,536 (131K paid; juspay/neurolink docs 2026-08-27, skills.sh terminalskills/cerebras) [3P]`,
  }),
  chat("cerebras", "zai-glm-4.7", {
    tier: "large",
    context: 131_072,
    maxOutput: 40_960,
    tools: true, json: true, jsonSchema: true, vision: false, reasoning: true,
    limits: { rpm: 5, tpm: 30_000, tpd: 1_000_000 },
    limitsSource: CEREBRAS_LIMITS,
    capsSource: `${CEREBRAS_CAPS}; preview model as of 2026-01`,
  }),
  chat("cerebras", "gemma-4-31b", {
    family: "gemma-4-31b",
    tier: "medium",
    context: 262_144,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: { rpm: 5, tpm: 30_000, tpd: 1_000_000 },
    limitsSource: CEREBRAS_LIMITS,
    capsSource:
      "PROVIDERS.md §10 row 22: ctx UNCONFIRMED on Cerebras, 262,144 is the native gemma-4-31b-it value (§3b/§7, models.dev); tools/JSON/vision UNCONFIRMED so off; " +
      ASSUMED_OUT,
  }),

  // SambaNova (§5). Ids are mixed case; only ids whose casing PROVIDERS.md prints are listed.
  chat("sambanova", "Meta-Llama-3.3-70B-Instruct", {
    family: "llama-3.3-70b",
    tier: "large",
    context: 131_072,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: { tpd: 200_000 },
    limitsSource: SAMBANOVA_LIMITS,
    capsSource: `PROVIDERS.md §10 row 24: tools Y, JSON –; served ctx UNCONFIRMED, 131,072 is the native value (§2, models.dev); ${ASSUMED_OUT}`,
  }),
  chat("sambanova", "gpt-oss-120b", {
    family: "gpt-oss-120b",
    tier: "large",
    context: 131_072,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: { tpd: 200_000 },
    limitsSource: SAMBANOVA_LIMITS,
    capsSource: `PROVIDERS.md §10 row 23: tools Y, reasoning Y, JSON –; served ctx UNCONFIRMED, 131,072 is the native value (§2/§7); ${ASSUMED_OUT}`,
  }),
  chat("sambanova", "DeepSeek-V3.1", {
    family: "deepseek-v3.1",
    tier: "large",
    context: 32_768,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: { tpd: 200_000 },
    limitsSource: SAMBANOVA_LIMITS,
    capsSource: `PROVIDERS.md §10 row 25: reasoning Y, tools/JSON –; ctx UNCONFIRMED and no native value in PROVIDERS.md, 32,768 assumed (conservative); ${ASSUMED_OUT}`,
  }),
  chat("sambanova", "MiniMax-M2.5", {
    tier: "large",
    context: 196_608,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: { tpd: 200_000 },
    limitsSource: `${SAMBANOVA_LIMITS}; in the current developer-tier table, while cheahjs 2026-07-18 lists minimax-m2.7 instead`,
    capsSource:
      "PROVIDERS.md §10 row 26: reasoning Y, tools/JSON –; ctx UNCONFIRMED, 196,608 ctx / 8,192 out are the same weights on OpenRouter (§7 snapshot 2026-05-15)",
  }),

  // NVIDIA NIM (§6). One ~40 RPM allowance per account, held by pool nvidia:account.
  chat("nvidia", "meta/llama-3.3-70b-instruct", {
    family: "llama-3.3-70b",
    tier: "large",
    context: 128_000,
    maxOutput: 4_096,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: false,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "meta/llama-4-maverick-17b-128e-instruct", {
    tier: "large",
    context: 128_000,
    maxOutput: 4_096,
    tools: true, json: true, jsonSchema: false, vision: true, reasoning: false,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "meta/llama-3.1-8b-instruct", {
    family: "llama-3.1-8b",
    tier: "small",
    context: 16_000,
    maxOutput: 4_096,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: `${NVIDIA_CAPS}; not in §10, so JSON off`,
  }),
  chat("nvidia", "openai/gpt-oss-120b", {
    family: "gpt-oss-120b",
    tier: "large",
    context: 128_000,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "openai/gpt-oss-20b", {
    family: "gpt-oss-20b",
    tier: "medium",
    context: 131_072,
    maxOutput: 32_768,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "nvidia/nemotron-3-super-120b-a12b", {
    family: "nemotron-3-super-120b",
    tier: "large",
    context: 262_144,
    maxOutput: 262_144,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "nvidia/nemotron-3-nano-30b-a3b", {
    family: "nemotron-3-nano-30b",
    tier: "medium",
    context: 131_072,
    maxOutput: 131_072,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "nvidia/nvidia-nemotron-nano-9b-v2", {
    family: "nemotron-nano-9b-v2",
    tier: "small",
    context: 131_072,
    maxOutput: 131_072,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "nvidia/nemotron-3-ultra-550b-a55b", {
    tier: "large",
    context: 1_000_000,
    maxOutput: 65_536,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: `${NVIDIA_CAPS}; not in §10, so JSON off`,
  }),
  chat("nvidia", "qwen/qwen3-coder-480b-a35b-instruct", {
    family: "qwen3-coder-480b",
    tier: "large",
    context: 262_144,
    maxOutput: 65_536,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: `${NVIDIA_CAPS}; §6 prints max out 66,536, likely a typo for 65,536, the lower value is used`,
  }),
  chat("nvidia", "qwen/qwen3-next-80b-a3b-instruct", {
    family: "qwen3-next-80b",
    tier: "large",
    context: 262_144,
    maxOutput: 16_384,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: `${NVIDIA_CAPS}; not in §10, so JSON off`,
  }),
  chat("nvidia", "qwen/qwen3.5-397b-a17b", {
    tier: "large",
    context: 262_144,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: true, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "moonshotai/kimi-k2.6", {
    family: "kimi-k2.6",
    tier: "large",
    context: 262_144,
    maxOutput: 262_144,
    tools: true, json: true, jsonSchema: false, vision: true, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: `${NVIDIA_LIMITS}; kimi-k2.6 throttles below 40 RPM (OmniRoute#6846) [3P], exact value unknown`,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "moonshotai/kimi-k2-instruct-0905", {
    tier: "large",
    context: 262_144,
    maxOutput: 262_144,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: `${NVIDIA_CAPS}; not in §10, so JSON off`,
  }),
  chat("nvidia", "mistralai/mistral-large-3-675b-instruct-2512", {
    tier: "large",
    context: 262_144,
    maxOutput: 262_144,
    tools: true, json: true, jsonSchema: false, vision: true, reasoning: false,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "deepseek-ai/deepseek-v4-flash", {
    tier: "large",
    context: 1_048_576,
    maxOutput: 393_216,
    // NIM returns DeepSeek tool calls as text, not structured tool_calls (NVIDIA forum, §6).
    tools: false, json: true, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: `${NVIDIA_CAPS}; tools listed but unreliable on NIM (forum "native-tool-calls-fail-on-deepseek-3-2") [3P], so off`,
  }),
  chat("nvidia", "minimaxai/minimax-m2.7", {
    tier: "large",
    context: 204_800,
    maxOutput: 131_072,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "z-ai/glm-5.1", {
    tier: "large",
    context: 131_072,
    maxOutput: 131_072,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "stepfun-ai/step-3.5-flash", {
    // Size not documented; "flash" class, so not ranked with the frontier models.
    tier: "medium",
    context: 256_000,
    maxOutput: 16_384,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: NVIDIA_CAPS,
  }),
  chat("nvidia", "google/gemma-4-31b-it", {
    family: "gemma-4-31b",
    tier: "medium",
    context: 256_000,
    maxOutput: 16_384,
    tools: true, json: false, jsonSchema: false, vision: true, reasoning: true,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_LIMITS,
    capsSource: `${NVIDIA_CAPS}; not in §10, so JSON off`,
  }),

  // OpenRouter :free (§7). gpt-oss-120b, deepseek-v4-flash, glm-4.5-air and minimax-m2.5 :free are skipped:
  // gone from the live list by 2026-07-18 (cheahjs). The catalog churns monthly; operators add new ids.
  chat("openrouter", "openai/gpt-oss-20b:free", {
    family: "gpt-oss-20b",
    tier: "medium",
    context: 131_072,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "meta-llama/llama-3.3-70b-instruct:free", {
    family: "llama-3.3-70b",
    tier: "large",
    context: 65_536,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("openrouter", "meta-llama/llama-3.2-3b-instruct:free", {
    family: "llama-3.2-3b",
    tier: "small",
    context: 131_072,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("openrouter", "nousresearch/hermes-3-llama-3.1-405b:free", {
    tier: "large",
    context: 131_072,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("openrouter", "qwen/qwen3-coder:free", {
    // OpenRouter's qwen/qwen3-coder is Qwen3-Coder-480B-A35B-Instruct, the model NVIDIA hosts.
    family: "qwen3-coder-480b",
    tier: "large",
    context: 262_000,
    maxOutput: 262_000,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "qwen/qwen3-next-80b-a3b-instruct:free", {
    family: "qwen3-next-80b",
    tier: "large",
    context: 262_144,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: true, vision: false, reasoning: false,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("openrouter", "google/gemma-4-31b-it:free", {
    family: "gemma-4-31b",
    tier: "medium",
    context: 262_144,
    maxOutput: 32_768,
    tools: true, json: true, jsonSchema: false, vision: true, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "google/gemma-4-26b-a4b-it:free", {
    family: "gemma-4-26b",
    tier: "medium",
    context: 262_144,
    maxOutput: 32_768,
    tools: true, json: true, jsonSchema: false, vision: true, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "nvidia/nemotron-3-super-120b-a12b:free", {
    family: "nemotron-3-super-120b",
    tier: "large",
    context: 262_144,
    maxOutput: 262_144,
    tools: true, json: true, jsonSchema: true, vision: false, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "nvidia/nemotron-3-nano-30b-a3b:free", {
    family: "nemotron-3-nano-30b",
    tier: "medium",
    context: 256_000,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("openrouter", "nvidia/nemotron-nano-9b-v2:free", {
    family: "nemotron-nano-9b-v2",
    tier: "small",
    context: 128_000,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("openrouter", "nvidia/nemotron-nano-12b-v2-vl:free", {
    tier: "small",
    context: 128_000,
    maxOutput: 128_000,
    tools: true, json: false, jsonSchema: false, vision: true, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "nvidia/nemotron-3-nano-omni-30b-a3b-reasoning:free", {
    tier: "medium",
    context: 256_000,
    maxOutput: 65_536,
    tools: true, json: false, jsonSchema: false, vision: true, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "arcee-ai/trinity-large-thinking:free", {
    tier: "large",
    context: 262_144,
    maxOutput: 80_000,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "inclusionai/ring-2.6-1t:free", {
    tier: "large",
    context: 262_144,
    maxOutput: 65_536,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "poolside/laguna-m.1:free", {
    // Size not documented.
    tier: "medium",
    context: 131_072,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: OPENROUTER_CAPS,
  }),
  chat("openrouter", "cognitivecomputations/dolphin-mistral-24b-venice-edition:free", {
    tier: "medium",
    context: 32_768,
    maxOutput: 8_192,
    tools: false, json: true, jsonSchema: false, vision: false, reasoning: false,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("openrouter", "liquid/lfm-2.5-1.2b-instruct:free", {
    tier: "small",
    context: 32_768,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("openrouter", "liquid/lfm-2.5-1.2b-thinking:free", {
    tier: "small",
    context: 32_768,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("openrouter", "openrouter/free", {
    // A router to a random free model that fits the request; it may land on a 1.2B model, hence "small".
    tier: "small",
    context: 200_000,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: true, reasoning: true,
    limits: openrouterLimits(),
    pool: "openrouter:free",
    limitsSource: OPENROUTER_LIMITS,
    capsSource: `${OPENROUTER_CAPS}; guides/routing/routers/free-router.mdx [Official]; ${ASSUMED_OUT}`,
  }),

  // Cloudflare Workers AI (§9). The daily neuron allocation is account-wide, held by pool workers-ai:account.
  chat("workers-ai", "@cf/openai/gpt-oss-120b", {
    family: "gpt-oss-120b",
    tier: "large",
    context: 128_000,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; ctx, tools and mandatory reasoning from cloudflare-docs model JSON [Official]; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/openai/gpt-oss-20b", {
    family: "gpt-oss-20b",
    tier: "medium",
    context: 128_000,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/meta/llama-3.3-70b-instruct-fp8-fast", {
    family: "llama-3.3-70b",
    tier: "large",
    context: 24_000,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: true, vision: false, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `PROVIDERS.md §9a/§9: ctx 24,000, tools and response_format json_object|json_schema from workers-ai-models/llama-3.3-70b-instruct-fp8-fast.json [Official]; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/meta/llama-4-scout-17b-16e-instruct", {
    family: "llama-4-scout",
    tier: "medium",
    context: 131_000,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: true, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/meta/llama-3.1-8b-instruct-fp8", {
    family: "llama-3.1-8b",
    tier: "small",
    context: 32_000,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/meta/llama-3.2-11b-vision-instruct", {
    tier: "small",
    context: 128_000,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: true, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/meta/llama-3.2-3b-instruct", {
    family: "llama-3.2-3b",
    tier: "small",
    context: 80_000,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/meta/llama-3.2-1b-instruct", {
    tier: "small",
    context: 60_000,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/google/gemma-4-26b-a4b-it", {
    family: "gemma-4-26b",
    tier: "medium",
    context: 256_000,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: true, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/mistralai/mistral-small-3.1-24b-instruct", {
    tier: "medium",
    context: 128_000,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/qwen/qwen3-30b-a3b-fp8", {
    tier: "medium",
    context: 32_768,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/qwen/qwq-32b", {
    tier: "medium",
    context: 24_000,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/qwen/qwen2.5-coder-32b-instruct", {
    tier: "medium",
    context: 32_768,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/deepseek-ai/deepseek-r1-distill-qwen-32b", {
    tier: "medium",
    context: 80_000,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/zai-org/glm-4.7-flash", {
    // Size not documented; "flash" class.
    tier: "medium",
    context: 131_072,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/zai-org/glm-5.2", {
    tier: "large",
    context: 262_144,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/moonshotai/kimi-k2.6", {
    family: "kimi-k2.6",
    tier: "large",
    context: 262_144,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: true, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: `${WORKERS_AI_LIMITS}; expensive in neurons (§10 row 62)`,
    capsSource: `${WORKERS_AI_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/moonshotai/kimi-k2.7-code", {
    tier: "large",
    context: 262_144,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: true, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/nvidia/nemotron-3-120b-a12b", {
    // 120B-A12B is the Nemotron 3 Super configuration NVIDIA and OpenRouter serve.
    family: "nemotron-3-super-120b",
    tier: "large",
    context: 256_000,
    maxOutput: 8_192,
    tools: true, json: true, jsonSchema: false, vision: false, reasoning: true,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/ibm-granite/granite-4.0-h-micro", {
    tier: "small",
    context: 131_000,
    maxOutput: 8_192,
    tools: true, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
  chat("workers-ai", "@cf/aisingapore/gemma-sea-lion-v4-27b-it", {
    tier: "medium",
    context: 128_000,
    maxOutput: 8_192,
    tools: false, json: false, jsonSchema: false, vision: false, reasoning: false,
    limits: workersAiChatLimits(),
    pool: "workers-ai:account",
    limitsSource: WORKERS_AI_LIMITS,
    capsSource: `${WORKERS_AI_CAPS}; not in §10, so JSON off; ${ASSUMED_OUT}`,
  }),
];

const WORKERS_AI_EMBED_LIMITS =
  "PROVIDERS.md §9d: Text Embeddings 3000 RPM per task (platform/limits.mdx, older stored version @12de122 [Official], current UNCONFIRMED). Not on pool workers-ai:account, whose 300 RPM is the Text Generation limit; a 3036/4006 here cools this model until 00:00 UTC";
const WORKERS_AI_EMBED_BATCH =
  "≤100 texts per request from workers-ai-models/bge-base-en-v1.5.json maxItems (§9a [Official]), assumed the same for the other Workers AI embedding models";
const VOYAGE_LIMITS =
  "PROVIDERS.md §8: 3 RPM and 10K TPM without a payment method (mongodb.com/ja-jp/docs/voyageai/api-reference/overview); with one, Tier 1 is 2000 RPM and 3M–16M TPM (docs.voyageai.com/docs/rate-limits [Official]), an operator override";
const VOYAGE_CAPS =
  "PROVIDERS.md §8/§11 (docs.voyageai.com/embeddings [Official]): 32,000-token context; maxBatch 128 is the old confirmed list limit (fern EmbedRequest.d.ts in voyageai@0.0.4), the current 1,000 is UNCONFIRMED";
const NVIDIA_EMBED_LIMITS =
  "PROVIDERS.md §6: ~40 RPM per account across models, on pool nvidia:account [3P]; some users got HTTP 402 on NIM embedding endpoints (NVIDIA forum thread 354320)";
/** output_dimension values of voyage-3.5 / 3.5-lite / 3-large / code-3 / the 4 series (PROVIDERS.md §8 [Official]). */
const VOYAGE_DIMENSIONS = [256, 512, 1_024, 2_048] as const;
/** A Voyage model of 1024 dimensions by default that also offers VOYAGE_DIMENSIONS (all share the free limits). */
function voyageSized(upstream: string): ModelSpec {
  return embedding("voyage", upstream, {
    context: 32_000,
    dimensions: 1_024,
    dimensionOptions: VOYAGE_DIMENSIONS,
    maxBatch: 128,
    limits: { rpm: 3, tpm: 10_000 },
    limitsSource: VOYAGE_LIMITS,
    capsSource: `${VOYAGE_CAPS}; 1024 dims default (256/512/2048 via output_dimension)`,
  });
}
const NVIDIA_EMBED_BATCH = "maxBatch 32 assumed (PROVIDERS.md gives no NIM batch limit; kept small on purpose)";

export const EMBEDDING_MODELS: readonly ModelSpec[] = [
  // Workers AI (§9a, §11).
  embedding("workers-ai", "@cf/baai/bge-small-en-v1.5", {
    context: 512,
    dimensions: 384,
    maxBatch: 100,
    limits: { rpm: 3_000 },
    limitsSource: WORKERS_AI_EMBED_LIMITS,
    capsSource: `PROVIDERS.md §11: 384 dims, 512 tokens [3P / model card]; ${WORKERS_AI_EMBED_BATCH}`,
  }),
  embedding("workers-ai", "@cf/baai/bge-base-en-v1.5", {
    context: 512,
    dimensions: 768,
    maxBatch: 100,
    limits: { rpm: 3_000 },
    limitsSource: WORKERS_AI_EMBED_LIMITS,
    capsSource:
      "PROVIDERS.md §9a/§11: 768 dims, max_input_tokens 512, ≤100 texts per request (workers-ai-models/bge-base-en-v1.5.json [Official])",
  }),
  embedding("workers-ai", "@cf/baai/bge-large-en-v1.5", {
    context: 512,
    dimensions: 1_024,
    maxBatch: 100,
    limits: { rpm: 1_500 },
    limitsSource:
      "PROVIDERS.md §9d/§11: @cf/baai/bge-large-en-v1.5 1500 RPM (platform/limits.mdx, older stored version @12de122 [Official], current UNCONFIRMED); not on the Text Generation pool",
    capsSource: `PROVIDERS.md §11: 1024 dims, 512 tokens [3P]; ${WORKERS_AI_EMBED_BATCH}`,
  }),
  embedding("workers-ai", "@cf/baai/bge-m3", {
    family: "bge-m3",
    context: 8_192,
    dimensions: 1_024,
    maxBatch: 100,
    limits: { rpm: 3_000 },
    limitsSource: WORKERS_AI_EMBED_LIMITS,
    capsSource: `PROVIDERS.md §11: 1024 dims, 8,192 tokens [3P]; ${WORKERS_AI_EMBED_BATCH}`,
  }),
  embedding("workers-ai", "@cf/google/embeddinggemma-300m", {
    context: 2_048,
    dimensions: 768,
    maxBatch: 100,
    limits: { rpm: 3_000 },
    limitsSource: WORKERS_AI_EMBED_LIMITS,
    capsSource: `PROVIDERS.md §11: 768 dims (Matryoshka 512/256/128), 2,048 tokens [3P]; whether the /ai/v1/embeddings endpoint takes \`dimensions\` is undocumented, so only 768 is offered; ${WORKERS_AI_EMBED_BATCH}`,
  }),

  // Google Gemini (§3b, §11).
  embedding("gemini", "gemini-embedding-001", {
    context: 2_048,
    dimensions: 3_072,
    // MRL: any size from 128 to 3072 via outputDimensionality (768/1536/3072 recommended).
    dimensionOptions: { min: 128, max: 3_072 },
    maxBatch: 100,
    limits: { rpm: 100 },
    limitsSource: "PROVIDERS.md §3b: about 100 RPM for gemini-embedding-001 (jezweb skill) [3P]; RPD UNCONFIRMED",
    capsSource:
      "PROVIDERS.md §11: 3072 dims default (128–3072 via outputDimensionality, 768/1536/3072 recommended; ai.google.dev/gemini-api/docs/models/gemini-embedding-001), 2,048 tokens, GA 2025-05-20 (Google blog quoted in simonw/llm-gemini#102); batch up to 100 (§3b, glama zotero embedder comment) [3P]",
  }),

  // Voyage AI (§8, §11). Free limits below apply until a payment method is added.
  voyageSized("voyage-3.5-lite"),
  voyageSized("voyage-3.5"),
  embedding("voyage", "voyage-3-lite", {
    context: 32_000,
    dimensions: 512,
    maxBatch: 128,
    limits: { rpm: 3, tpm: 10_000 },
    limitsSource: VOYAGE_LIMITS,
    capsSource: `${VOYAGE_CAPS}; 512 dims fixed`,
  }),
  embedding("voyage", "voyage-3", {
    context: 32_000,
    dimensions: 1_024,
    maxBatch: 128,
    limits: { rpm: 3, tpm: 10_000 },
    limitsSource: VOYAGE_LIMITS,
    capsSource: `${VOYAGE_CAPS}; 1024 dims fixed`,
  }),
  voyageSized("voyage-3-large"),
  voyageSized("voyage-code-3"),
  // The 4 series (released 2026-01-15): the same context, sizes and free limits (PROVIDERS.md §8 table, §11).
  voyageSized("voyage-4-lite"),
  voyageSized("voyage-4"),
  voyageSized("voyage-4-large"),

  // NVIDIA NIM (§6, §11). The adapter must always send input_type (query|passage) here (§12).
  embedding("nvidia", "nvidia/nv-embedqa-e5-v5", {
    context: 512,
    dimensions: 1_024,
    maxBatch: 32,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_EMBED_LIMITS,
    capsSource: `PROVIDERS.md §6/§11: 1024 dims (docs.praison.ai) [3P]; 512-token input UNCONFIRMED; ${NVIDIA_EMBED_BATCH}`,
  }),
  embedding("nvidia", "baai/bge-m3", {
    family: "bge-m3",
    context: 8_192,
    dimensions: 1_024,
    maxBatch: 32,
    limits: nvidiaLimits(),
    pool: "nvidia:account",
    limitsSource: NVIDIA_EMBED_LIMITS,
    capsSource: `PROVIDERS.md §6/§11: 1024 dims, 8,192 tokens (models.dev) [3P]; ${NVIDIA_EMBED_BATCH}`,
  }),
];

/**
 * The embedding space `model: "auto"` uses when the operator pins none (EMBEDDING_MODEL): the first entry with a
 * configured host wins, always the same one, so vectors never change space between requests. Entries are family
 * aliases or model ids. bge-m3 leads: two providers host the identical model (failover stays in one space),
 * Workers AI allows 3,000 RPM, and it takes 8,192-token inputs in many languages. Gemini and Voyage follow for
 * their quality, Workers AI's English models last.
 */
export const EMBEDDING_PREFERENCE: readonly string[] = [
  "bge-m3",
  "gemini/gemini-embedding-001",
  "voyage/voyage-3.5-lite",
  "voyage/voyage-3.5",
  "workers-ai/@cf/baai/bge-base-en-v1.5",
  "workers-ai/@cf/baai/bge-small-en-v1.5",
  "workers-ai/@cf/baai/bge-large-en-v1.5",
  "workers-ai/@cf/google/embeddinggemma-300m",
  "nvidia/nvidia/nv-embedqa-e5-v5",
];
