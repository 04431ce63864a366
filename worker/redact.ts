// Secrets never leave the gateway: scrub provider keys out of anything an upstream echoes back.

/** Shapes of well-known API keys, caught even when we do not hold that exact key. */
const KEY_SHAPES = [
  /\bgsk_[A-Za-z0-9]{16,}/g, // Groq
  /\bsk-or-[A-Za-z0-9-]{16,}/g, // OpenRouter
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI-style
  /\bnvapi-[A-Za-z0-9_-]{16,}/g, // NVIDIA
  /\bAIza[A-Za-z0-9_-]{20,}/g, // Google
  /\bcsk-[A-Za-z0-9]{16,}/g, // Cerebras
  /\bpa-[A-Za-z0-9_-]{20,}/g, // Voyage
  /(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi,
];

export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 6) out = out.split(s).join("[redacted]");
  }
  for (const re of KEY_SHAPES) out = out.replace(re, (_m, prefix: unknown) => (typeof prefix === "string" ? `${prefix}[redacted]` : "[redacted]"));
  return out;
}
