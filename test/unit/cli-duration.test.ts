// Durations and instants as the admin CLI reads them (--since 1h, --interval 500ms) and shows them.

import { describe, expect, it } from "vitest";
import { durationMs, formatDuration, parseDuration, parseInstant, relative } from "../../admin-client/cli/duration.ts";

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

describe("durations", () => {
  it("reads 90s, 30m, 1h, 7d, 2w, 500ms, 1h30m and 0", () => {
    expect(durationMs("90s")).toBe(90_000);
    expect(durationMs("30m")).toBe(1_800_000);
    expect(durationMs("1h")).toBe(3_600_000);
    expect(durationMs("7d")).toBe(604_800_000);
    expect(durationMs("2w")).toBe(1_209_600_000);
    expect(durationMs("500ms")).toBe(500);
    expect(durationMs("1h30m")).toBe(5_400_000);
    expect(durationMs("1.5h")).toBe(5_400_000);
    expect(durationMs("0")).toBe(0);
  });

  it("is not fooled by numbers without units or other words", () => {
    for (const bad of ["5", "h", "1y", "1 h", "-1h", "1h-"]) expect(durationMs(bad)).toBeNull();
    expect(() => parseDuration("interval", "soon")).toThrow(/--interval must be a duration/);
  });

  it("reads --since as a duration back from now, an ISO date or epoch milliseconds", () => {
    expect(parseInstant("since", "1h", NOW)).toBe(NOW - 3_600_000);
    expect(parseInstant("since", "2026-11-28T09:00:00Z", NOW)).toBe(Date.UTC(2026, 10, 28, 9));
    expect(parseInstant("since", "2026-11-28", NOW)).toBe(Date.UTC(2026, 10, 28));
    expect(parseInstant("since", String(NOW - 5), NOW)).toBe(NOW - 5);
    for (const bad of ["yesterday", "March 3", "12", "2026-13-45"]) expect(() => parseInstant("since", bad, NOW)).toThrow(/--since must be/);
  });

  it("shows the two largest units", () => {
    expect(formatDuration(598_000)).toBe("9m 58s");
    expect(formatDuration(7_500_000)).toBe("2h 5m");
    expect(formatDuration(90_000_000)).toBe("1d 1h");
    expect(formatDuration(3_600_000)).toBe("1h");
    expect(formatDuration(4_000)).toBe("4s");
    expect(relative(NOW + 600_000, NOW)).toBe("in 10m");
    expect(relative(NOW - 180_000, NOW)).toBe("3m ago");
    expect(relative(NOW + 200, NOW)).toBe("now");
  });
});
