// worker/identity.ts on its own: the network an address stands for, as the anonymous allowance counts it.

import { describe, expect, it } from "vitest";
import { network } from "../../worker/identity.ts";

describe("network", () => {
  it("keeps an IPv4 address, and gives an IPv6 address its /64 however it is written", () => {
    expect(network("203.0.113.9")).toBe("203.0.113.9");
    expect(network("::ffff:203.0.113.9")).toBe("203.0.113.9");
    const same = ["2001:db8:0:7::1", "2001:DB8:0:7:abcd:ef01:2345:6789", "2001:0db8:0000:0007::ffff", "2001:db8:0:7:0:0:0:1"];
    for (const a of same) expect(network(a), a).toBe("2001:db8:0:7::/64");
    expect(network("2001:db8:0:8::1")).toBe("2001:db8:0:8::/64");
    expect(network("::1")).toBe("0:0:0:0::/64");
    expect(network("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    // Not an address: kept as written, so it is still one caller's.
    expect(network("not:an:address")).toBe("not:an:address");
  });
});
