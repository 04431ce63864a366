// A model's routing state as a badge: the word carries the meaning, the colour only repeats it.

import type { ModelState } from "../types.ts";

const WORDS: Record<ModelState, string> = {
  ready: "Ready",
  cooling_down: "Cooling down",
  disabled: "Disabled",
  probing: "Probing",
  not_configured: "Not configured",
  unknown: "Unknown",
};

export function stateWord(s: ModelState): string {
  return WORDS[s] ?? s;
}

export function StateBadge({ state }: { state: ModelState }) {
  return <span class={`badge state-${state}`}>{stateWord(state)}</span>;
}
