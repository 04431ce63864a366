// Gateway settings that point every built-in provider at a simulator listening on `origin`.

/** Base URLs and fake keys for all eight providers, e.g. simulatorEnv("http://sim.test"). */
export function simulatorEnv(origin: string): Record<string, string> {
  const o = origin.replace(/\/+$/, "");
  return {
    GROQ_BASE_URL: `${o}/groq/openai/v1`,
    GEMINI_BASE_URL: `${o}/gemini/v1beta/openai`,
    CEREBRAS_BASE_URL: `${o}/cerebras/v1`,
    SAMBANOVA_BASE_URL: `${o}/sambanova/v1`,
    NVIDIA_BASE_URL: `${o}/nvidia/v1`,
    OPENROUTER_BASE_URL: `${o}/openrouter/api/v1`,
    VOYAGE_BASE_URL: `${o}/voyage/v1`,
    WORKERS_AI_BASE_URL: `${o}/workers-ai/client/v4/accounts/sim-account/ai/v1`,
    GROQ_API_KEY: "sim-groq-key",
    GEMINI_API_KEY: "sim-gemini-key",
    CEREBRAS_API_KEY: "sim-cerebras-key",
    SAMBANOVA_API_KEY: "sim-sambanova-key",
    NVIDIA_API_KEY: "sim-nvidia-key",
    OPENROUTER_API_KEY: "sim-openrouter-key",
    VOYAGE_API_KEY: "sim-voyage-key",
    CLOUDFLARE_API_TOKEN: "sim-workers-ai-key",
    CLOUDFLARE_ACCOUNT_ID: "sim-account",
  };
}
