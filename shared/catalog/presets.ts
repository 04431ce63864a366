// The `auto:<preset>` routes listed in /v1/models: each a filter over the catalog plus a ranking bias.

import type { PresetSpec } from "./types.ts";

export const PRESETS: readonly PresetSpec[] = [
  { id: "auto", description: "Any capable chat model with room now, ranked by health, headroom and speed", latencyWeight: 1 },
  { id: "auto:fast", description: "Lowest measured latency first", latencyWeight: 4 },
  { id: "auto:smart", description: "Large models only (70B class and frontier)", minTier: "large", latencyWeight: 0.5 },
  { id: "auto:reasoning", description: "Models that reason before answering", requires: ["reasoning"], latencyWeight: 0.25 },
  { id: "auto:vision", description: "Models that accept image input", requires: ["vision"], latencyWeight: 1 },
  { id: "auto:tools", description: "Models with function calling", requires: ["tools"], latencyWeight: 1 },
  { id: "auto:long", description: "Context windows of 200,000 tokens or more", minContext: 200_000, latencyWeight: 0.5 },
];
