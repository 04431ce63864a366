// `npm run chaos` as a test: the whole fault suite against freeway (production bundle on workerd, the simulator as
// every provider), and every scenario must pass — a partial, safe or fail names what the caller got.

import { beforeAll, describe, expect, it } from "vitest";
import { runChaos, SCENARIOS, type Scorecard } from "../../scripts/lib/chaos/index.ts";

let card: Scorecard | undefined;

beforeAll(async () => {
  card = await runChaos();
}, 180_000);

describe("the fault suite against freeway", () => {
  for (const s of SCENARIOS) {
    it(`passes ${s.name} (${s.fault})`, () => {
      const r = card?.results.find((x) => x.name === s.name);
      expect(r, "the scenario ran").toBeDefined();
      expect(`${r?.grade}: ${r?.reason}`).toMatch(/^pass: /);
    });
  }
});
