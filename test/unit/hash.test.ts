import { describe, expect, it } from "vitest";
import { memoized, sha256Hex, sha256HexMemo } from "../../shared/hash.ts";

describe("the key-hash memo", () => {
  it("remembers short values and hashes long ones each time, so a flood of huge tokens cannot fill memory", async () => {
    const key = "fw_short-key-0123456789";
    const huge = `fw_${"k".repeat(30_000)}`;
    expect(await sha256HexMemo(key)).toBe(await sha256Hex(key));
    expect(await sha256HexMemo(huge)).toBe(await sha256Hex(huge));
    expect(memoized(key)).toBe(true);
    expect(memoized(huge)).toBe(false);
  });
});
