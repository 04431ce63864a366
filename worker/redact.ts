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

/** The forms a key takes when a provider echoes it: as is, URL-encoded, JSON-escaped, base64 (of it or its header). */
function forms(s: string): string[] {
  const out = new Set([s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1), JSON.stringify(s).slice(1, -1).replaceAll("/", "\\/")]);
  try {
    out.add(btoa(s));
    out.add(btoa(`Bearer ${s}`));
  } catch {
    // not Latin-1: no base64 form to look for
  }
  return [...out];
}

/** Shortest start of a key that counts as showing it (a provider that echoes "Invalid key: abcd1234…"). */
const PREFIX = 8;

export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 6) continue;
    for (const f of forms(s)) out = out.split(f).join("[redacted]");
    // The start of a key, however much of it follows.
    if (s.length >= 2 * PREFIX) {
      const head = s.slice(0, PREFIX);
      for (let i = out.indexOf(head); i !== -1; i = out.indexOf(head, i + 1)) {
        let n = PREFIX;
        while (i + n < out.length && n < s.length && out[i + n] === s[n]) n++;
        out = `${out.slice(0, i)}[redacted]${out.slice(i + n)}`;
      }
    }
  }
  for (const re of KEY_SHAPES) out = out.replace(re, (_m, prefix: unknown) => (typeof prefix === "string" ? `${prefix}[redacted]` : "[redacted]"));
  return out;
}

/** A provider's error with every field that can reach the caller or the logs redacted (its code and param too). */
export function redactError<E extends { message: string; type: string | null; code: string | null; param: string | null; providerCode: string | null }>(
  err: E,
  secrets: ReadonlyArray<string | undefined>,
): E {
  const r = (v: string | null): string | null => (v === null ? null : redact(v, secrets));
  return { ...err, message: redact(err.message, secrets), type: r(err.type), code: r(err.code), param: r(err.param), providerCode: r(err.providerCode) };
}
