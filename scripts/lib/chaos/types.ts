// The fault suite's vocabulary: grades, verdicts, scenarios and the scorecard they add up to.

import type OpenAI from "openai";
import type { Simulator } from "../../../test/simulator/simulator.ts";
import type { SimRule } from "../../../test/simulator/types.ts";

/**
 * pass: behaved as a user would want. partial: answered correctly, with a flaw (slow, wasteful, no [DONE]).
 * safe: failed, but said so explicitly (error status, error event). fail: lied (a truncated or spliced answer
 * presented as complete), a 5xx for the caller's own mistake, a crash, or a hang past the scenario's deadline.
 */
export type Grade = "pass" | "partial" | "safe" | "fail";

export const GRADES: readonly Grade[] = ["pass", "partial", "safe", "fail"];

export interface Verdict {
  grade: Grade;
  /** what was observed, in a sentence */
  reason: string;
}

/** What a scenario gets to work with. */
export interface ChaosContext {
  /** the provider simulator every upstream call of the gateway lands on (in this process): its log, rule removal */
  sim: Simulator;
  /** adds simulator rules; refused once the scenario is over, so a scenario that overran cannot break the next */
  addRules(rules: SimRule | readonly SimRule[]): string[];
  /** the official SDK pointed at the gateway, without retries of its own */
  client: OpenAI;
  /** the gateway's OpenAI base URL (…/v1) */
  baseURL: string;
  apiKey: string;
  /** the `model` every request asks for */
  model: string;
  /** aborted when the scenario's deadline passes: every request made for it stops */
  signal: AbortSignal;
  /** providers the gateway can use (those configured when the suite started freeway, else those seen so far) */
  liveProviders: Set<string>;
  /** a prompt no other request of the run uses, asking for a 60-token answer */
  prompt(label: string): string;
}

export interface Scenario {
  name: string;
  /** the fault, in a line, for the scorecard */
  fault: string;
  /** past this the scenario is a hang: graded fail */
  timeoutMs: number;
  run(ctx: ChaosContext): Promise<Verdict>;
}

export interface ScenarioResult extends Verdict {
  name: string;
  fault: string;
  ms: number;
}

export interface Scorecard {
  date: string;
  /** the gateway's base URL, and whether the suite started freeway itself */
  gateway: { baseURL: string; model: string; startedFreeway: boolean };
  simulator: { url: string; config: Record<string, unknown> };
  /** the gateway settings the suite set (empty for a gateway it did not start) */
  settings: Record<string, string>;
  liveProviders: string[];
  results: ScenarioResult[];
  totals: Record<Grade, number>;
}
