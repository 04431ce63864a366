// One adapter per dialect; custom providers speak plain OpenAI.

import type { Dialect } from "../../shared/catalog/types.ts";
import { CerebrasAdapter } from "./cerebras.ts";
import { GeminiAdapter } from "./gemini.ts";
import { GroqAdapter } from "./groq.ts";
import { NvidiaAdapter } from "./nvidia.ts";
import { OpenAIAdapter } from "./openai.ts";
import { OpenRouterAdapter } from "./openrouter.ts";
import { SambaNovaAdapter } from "./sambanova.ts";
import type { Adapter } from "./types.ts";
import { VoyageAdapter } from "./voyage.ts";
import { WorkersAIAdapter } from "./workers-ai.ts";

const ADAPTERS: Record<Dialect, Adapter> = {
  openai: new OpenAIAdapter(),
  groq: new GroqAdapter(),
  gemini: new GeminiAdapter(),
  cerebras: new CerebrasAdapter(),
  sambanova: new SambaNovaAdapter(),
  nvidia: new NvidiaAdapter(),
  openrouter: new OpenRouterAdapter(),
  "workers-ai": new WorkersAIAdapter(),
  voyage: new VoyageAdapter(),
};

export function adapterFor(dialect: Dialect): Adapter {
  return ADAPTERS[dialect];
}

export type { Adapter } from "./types.ts";
