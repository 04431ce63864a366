// The fault suite behind `npm run chaos`, for programs and tests: run it, read the scorecard, write it out.

export { runChaos, type ChaosOptions } from "./run.ts";
export { SCENARIOS } from "./scenarios.ts";
export { CHAOS_SETTINGS, LIVE_PROVIDERS } from "./freeway.ts";
export { toMarkdown, toText, writeScorecard } from "./scorecard.ts";
export type { Grade, Scenario, ScenarioResult, Scorecard, Verdict } from "./types.ts";
