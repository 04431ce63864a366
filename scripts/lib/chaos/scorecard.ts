// The scorecard as a terminal table, Markdown (for the README) and JSON.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seconds } from "./grade.ts";
import type { Scorecard, ScenarioResult } from "./types.ts";

export const GRADE_MEANING =
  "pass: behaved as a user would want · partial: answered correctly, with a flaw (slow, wasteful, no [DONE]) · " +
  "safe: failed, but told the caller explicitly · fail: lied (a truncated or spliced answer presented as complete), " +
  "a 5xx for the caller's mistake, a crash, or a hang";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

export function totalsLine(card: Scorecard): string {
  return `${card.totals.pass} pass, ${card.totals.partial} partial, ${card.totals.safe} safe, ${card.totals.fail} fail`;
}

/** Where the run happened and with which settings, one line each. */
function setup(card: Scorecard): string[] {
  const gateway = card.gateway.startedFreeway ? `freeway on workerd, started by the suite, at ${card.gateway.baseURL}` : `the gateway at ${card.gateway.baseURL}`;
  const sim = Object.entries(card.simulator.config)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
  const lines = [
    `gateway: ${gateway}; model \`${card.gateway.model}\``,
    `upstream: the provider simulator at ${card.simulator.url} (${sim}); providers live: ${card.liveProviders.join(", ") || "(none seen)"}`,
  ];
  const settings = Object.entries(card.settings).filter(([k]) => !k.endsWith("_BASE_URL"));
  if (settings.length > 0) lines.push(`settings: ${settings.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  return lines;
}

export function toMarkdown(card: Scorecard, command = "npm run chaos"): string {
  const rows = card.results.map((r, i) => `| ${i + 1} | \`${r.name}\` | ${cell(r.fault)} | **${r.grade}** | ${cell(r.reason)} | ${seconds(r.ms)} |`);
  return [
    `# Fault suite scorecard`,
    "",
    `\`${command}\` — ${card.date}`,
    "",
    ...setup(card).map((l) => `- ${l}`),
    "",
    "| # | scenario | fault | grade | what the caller got | time |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    `**${totalsLine(card)}.** ${GRADE_MEANING}.`,
    "",
  ].join("\n");
}

export function resultLine(r: ScenarioResult): string {
  return `${r.grade.toUpperCase().padEnd(7)} ${r.name.padEnd(25)} ${seconds(r.ms).padStart(7)}  ${r.reason}`;
}

export function toText(card: Scorecard): string {
  return [...setup(card), "", ...card.results.map(resultLine), "", totalsLine(card)].join("\n");
}

/** Writes latest.json and latest.md into `dir`; returns their paths. */
export function writeScorecard(card: Scorecard, dir: string, command?: string): string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "latest.json");
  const md = join(dir, "latest.md");
  writeFileSync(json, `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(md, toMarkdown(card, command));
  return [json, md];
}
