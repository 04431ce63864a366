// Grading what a caller got against the answer it should have got. Strict on purpose: a suite that cannot fail
// proves nothing.

import type { Outcome } from "./client.ts";
import type { Verdict } from "./types.ts";

export const verdict = (grade: Verdict["grade"], reason: string): Verdict => ({ grade, reason });

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** How `text` differs from `expected`: truncated, longer, or different from some character on. */
export function difference(text: string, expected: string): string {
  if (expected.startsWith(text)) return `truncated: ${text.length} of ${expected.length} characters`;
  if (text.startsWith(expected)) return `${text.length - expected.length} characters too many (${JSON.stringify(text.slice(expected.length, expected.length + 40))}…)`;
  let i = 0;
  while (i < text.length && text[i] === expected[i]) i++;
  return `spliced or different text from character ${i}: got ${JSON.stringify(text.slice(i, i + 30))}…, expected ${JSON.stringify(expected.slice(i, i + 30))}…`;
}

/** How the caller was told it failed, or undefined when it was not told (the answer ended like a success). */
export function explicitFailure(o: Outcome): string | undefined {
  if (o.status >= 400) return `HTTP ${o.status}${o.error ? ` (${o.error.code ?? "no code"}): ${o.error.message.slice(0, 160)}` : ""}`;
  if (o.error) return `an error event after ${o.text.length} characters (${o.error.code ?? "no code"}): ${o.error.message.slice(0, 160)}`;
  if (o.status === 200 && o.transport) return `the stream broke after ${o.text.length} characters without an error event (${o.transport.slice(0, 120)})`;
  return undefined;
}

export interface AnswerExpectation {
  /** the canonical answer */
  expected: string;
  /** a correct answer slower than this is partial */
  slowMs?: number;
  /** a stream must end with `data: [DONE]` to pass */
  stream?: boolean;
}

/**
 * A request the gateway should have answered in full: pass when it did; partial when the answer is right but
 * slow or without [DONE]; safe when the caller was told it failed; fail when it got no answer, or text that
 * ended like a success but is not the answer.
 */
export function gradeAnswer(o: Outcome, x: AnswerExpectation): Verdict {
  if (o.status === 0) return verdict("fail", `no HTTP answer after ${seconds(o.ms)}: ${o.transport ?? "nothing"}`);
  const told = explicitFailure(o);
  if (told) {
    const notPrefix = o.text !== "" && !x.expected.startsWith(o.text) ? `; the text before it was already wrong (${difference(o.text, x.expected)})` : "";
    return verdict("safe", `failed explicitly: ${told}${notPrefix}`);
  }
  if (o.text !== x.expected) return verdict("fail", `an answer presented as complete (finish_reason ${o.finishReason}) that is not the answer: ${difference(o.text, x.expected)}`);
  const flaws: string[] = [];
  if (o.finishReason !== "stop") flaws.push(`finish_reason ${String(o.finishReason)} instead of stop`);
  if (x.stream && !o.done) flaws.push("the stream ended without data: [DONE]");
  if (x.slowMs !== undefined && o.ms > x.slowMs) flaws.push(`slow: ${seconds(o.ms)} (more than ${seconds(x.slowMs)})`);
  if (flaws.length > 0) return verdict("partial", `the complete answer, but ${flaws.join("; ")}`);
  return verdict("pass", `the complete answer in ${seconds(o.ms)}`);
}

/** The worst of several verdicts (fail < safe < partial < pass), with its first two distinct reasons. */
export function worst(verdicts: readonly Verdict[]): Verdict {
  const order = ["fail", "safe", "partial", "pass"] as const;
  const grade = order.find((g) => verdicts.some((v) => v.grade === g)) ?? "pass";
  const reasons = [...new Set(verdicts.filter((v) => v.grade === grade).map((v) => v.reason))];
  const more = reasons.length > 2 ? ` | and ${reasons.length - 2} more` : "";
  return verdict(grade, reasons.slice(0, 2).join(" | ") + more);
}
