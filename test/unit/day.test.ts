import { describe, expect, it } from "vitest";
import { dayKey, nextReset } from "../../objects/day.ts";

describe("provider days", () => {
  it("resets at UTC midnight", () => {
    expect(nextReset("UTC", Date.UTC(2026, 10, 27, 23, 59, 59))).toBe(Date.UTC(2026, 10, 28));
    expect(dayKey("UTC", Date.UTC(2026, 10, 27, 23, 59, 59))).toBe("2026-11-27");
  });

  it("resets at midnight Pacific for Gemini, across a DST change", () => {
    // 2026-11-01 is the day US clocks go back: local midnight on 2026-11-02 is 08:00 UTC (PST).
    expect(nextReset("America/Los_Angeles", Date.UTC(2026, 10, 1, 12))).toBe(Date.UTC(2026, 10, 2, 8));
    // In summer (PDT) midnight is 07:00 UTC.
    expect(nextReset("America/Los_Angeles", Date.UTC(2026, 6, 1, 12))).toBe(Date.UTC(2026, 6, 2, 7));
  });
});
