// The admin CLI's spinner: only on a terminal, only for calls slower than its delay, and it erases itself.

import { describe, expect, it } from "vitest";
import { withSpinner } from "../../admin-client/cli/spinner.ts";

function stream(isTTY: boolean): { isTTY: boolean; text: string; write(s: string): boolean } {
  return {
    isTTY,
    text: "",
    write(s: string) {
      this.text += s;
      return true;
    },
  };
}

const slow = <T>(value: T, ms: number) => () => new Promise<T>((ok) => setTimeout(() => ok(value), ms));

describe("withSpinner", () => {
  it("draws nothing off a terminal, however long the call takes", async () => {
    const s = stream(false);
    expect(await withSpinner("Working", slow(7, 150), s, 10)).toBe(7);
    expect(s.text).toBe("");
  });

  it("draws nothing on a terminal when the call is quicker than the delay", async () => {
    const s = stream(true);
    expect(await withSpinner("Working", slow("ok", 5), s, 200)).toBe("ok");
    expect(s.text).toBe("");
  });

  it("shows the label after the delay and erases the line when the call ends, even when it fails", async () => {
    const s = stream(true);
    await withSpinner("Summing the request log", slow(1, 250), s, 20);
    expect(s.text).toContain("Summing the request log…");
    expect(s.text.endsWith("\r\x1b[K")).toBe(true);
    const f = stream(true);
    const failing = () => new Promise<never>((_ok, fail) => setTimeout(() => fail(new Error("no")), 250));
    await expect(withSpinner("Failing", failing, f, 20)).rejects.toThrow("no");
    expect(f.text.endsWith("\r\x1b[K")).toBe(true);
  });
});
