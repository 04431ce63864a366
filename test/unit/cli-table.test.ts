// The admin CLI's tables and number formats: aligned columns, colour only when asked, totals set off.

import { describe, expect, it } from "vitest";
import { changeText } from "../../admin-client/cli/commands/audit.ts";
import { requestLine } from "../../admin-client/cli/commands/tail.ts";
import { compact, limitsText, ms, pct, remainingText, terminalSafe, usd } from "../../admin-client/cli/format.ts";
import type { RequestRecord } from "../../shared/analytics.ts";
import { palette, renderTable, visibleWidth } from "../../admin-client/cli/table.ts";

describe("renderTable", () => {
  it("aligns columns two spaces apart, numbers to the right, with no trailing spaces", () => {
    const out = renderTable([{ header: "MODEL" }, { header: "REQUESTS", align: "right" }, { header: "NOTE" }], [["groq/a", "7", "x"], ["b", "1,234", ""]], { color: false });
    expect(out.split("\n")).toEqual(["MODEL   REQUESTS  NOTE", "groq/a         7  x", "b          1,234"]);
  });

  it("sets a footer off with a rule", () => {
    const lines = renderTable([{ header: "ID" }, { header: "N", align: "right" }], [["a", "1"]], { color: false, footer: ["total", "1"] }).split("\n");
    expect(lines).toEqual(["ID     N", "a      1", "────────", "total  1"]);
  });

  it("uses colour only when told to, and aligns coloured cells by what shows", () => {
    const plain = renderTable([{ header: "A" }, { header: "B" }], [["x", "y"]], { color: false });
    expect(plain).not.toMatch(/\x1b\[/);
    const c = palette(true);
    const coloured = renderTable([{ header: "STATE" }, { header: "B" }], [[c.green("ready"), "y"], ["disabled", "z"]], { color: true });
    expect(coloured).toMatch(/\x1b\[/);
    const rows = coloured.split("\n").slice(1);
    expect(rows.map((r) => visibleWidth(r))).toEqual([11, 11]);
    expect(palette(false).red("x")).toBe("x");
  });
});

describe("formats", () => {
  it("shows numbers, shares, latencies and money briefly", () => {
    expect(compact(9_999)).toBe("9,999");
    expect(compact(14_400)).toBe("14.4k");
    expect(compact(1_000_000)).toBe("1M");
    expect(pct(0.9534)).toBe("95.3%");
    expect(pct(null)).toBe("–");
    expect(ms(812)).toBe("812 ms");
    expect(ms(1530)).toBe("1.53 s");
    expect(usd(0.012345)).toBe("$0.0123");
    expect(usd(12.5)).toBe("$12.50");
  });

  it("marks operator overrides and shows what is left of each limit", () => {
    expect(limitsText({ rpm: 1, rpd: 14_400 }, { rpm: 1 })).toBe("rpm 1* · rpd 14.4k");
    expect(limitsText({})).toBe("none");
    expect(remainingText({ rpm: 28.6, rpd: 999 }, { rpm: 30, rpd: 1000 })).toBe("rpm 28/30 · rpd 999/1,000");
  });

  it("shows only what an audited change changed", () => {
    expect(changeText({ limits: { rpm: 30, rpd: 5 }, overrides: {}, disabled: false }, { limits: { rpm: 1, rpd: 5 }, overrides: { rpm: 1 }, disabled: false })).toBe(
      "limits.rpm: 30 → 1; overrides.rpm: – → 1",
    );
    expect(changeText(null, { id: "k" })).toBe('{"id":"k"}');
    expect(changeText({ cooldownUntil: 1_795_785_745_200 }, { cooldownUntil: 0 })).toMatch(/^cooldownUntil: \d{4}-\d{2}-\d{2} \d{2}:\d{2} → 0$/);
  });
});

describe("text from the log on a terminal", () => {
  const record = (requested: string): RequestRecord => ({
    id: "r1",
    ts: Date.UTC(2026, 10, 28, 4, 40),
    key: null,
    route: "chat",
    requested,
    model: null,
    provider: null,
    status: 400,
    error: "model: contains control characters",
    attempts: [],
    latencyMs: 1,
    ttftMs: null,
    tokensIn: 0,
    tokensOut: 0,
    streamed: false,
  });

  it("prints a model a caller named with escapes and a line break as one inert line", () => {
    const forged = "auto\u001b[2J\u001b]0;pwned\u0007\n04:40:00  200  chat  auto → groq/llama-3.3-70b-versatile  12 ms";
    for (const color of [false, true]) {
      const line = requestLine(record(forged), { c: palette(color) });
      expect(line).not.toMatch(/[\u0000-\u0008\u000a-\u001a\u001c-\u001f\u007f-\u009f]/);
      // Only this CLI's own colours remain as escapes.
      expect(line.replace(/\u001b\[[0-9;]*m/g, "")).not.toContain("\u001b");
      expect(line).toContain("auto\ufffd[2J\ufffd]0;pwned\ufffd\ufffd04:40:00");
    }
  });

  it("lets the CLI's colours and line breaks through to the terminal, nothing else", () => {
    const c = palette(true);
    expect(terminalSafe(`${c.red("a")}\nb\tc`)).toBe(`${c.red("a")}\nb\tc`);
    expect(terminalSafe("a\u001b]0;title\u0007b\rc")).toBe("a\ufffd]0;title\ufffdb\ufffdc");
  });
});
