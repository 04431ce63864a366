// Rough token counts for admission: ~4 characters a token, images at a flat rate. Corrected by real usage later.

import type { ChatRequest, Json, JsonObject } from "./validate.ts";

/** What an image costs in prompt tokens on most providers (a 512×512 tile is ~255–800). */
const IMAGE_TOKENS = 800;
/** Per-message framing (role markers, separators). */
const MESSAGE_OVERHEAD = 4;

function textTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export interface PromptShape {
  tokens: number;
  images: number;
}

export function estimatePrompt(req: ChatRequest): PromptShape {
  let chars = 0;
  let images = 0;
  let messages = 0;
  for (const m of req.messages) {
    messages++;
    const c = m.content;
    if (typeof c === "string") chars += c.length;
    else if (Array.isArray(c)) {
      for (const part of c as JsonObject[]) {
        if (part.type === "text" && typeof part.text === "string") chars += part.text.length;
        else if (part.type === "image_url") images++;
      }
    }
    if (m.tool_calls) chars += JSON.stringify(m.tool_calls).length;
  }
  if (req.tools) chars += JSON.stringify(req.tools as Json).length;
  return { tokens: textTokens(chars) + messages * MESSAGE_OVERHEAD + images * IMAGE_TOKENS, images };
}

/** The completion budget the caller asked for, if any. */
export function requestedMaxTokens(req: ChatRequest): number | undefined {
  const v = req.max_completion_tokens ?? req.max_tokens;
  return typeof v === "number" ? v : undefined;
}

/** Output tokens to reserve when the caller set no limit: enough for a typical answer, corrected after. */
export const DEFAULT_EXPECTED_OUTPUT = 512;
