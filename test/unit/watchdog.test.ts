import { describe, expect, it } from "vitest";
import { Watchdog } from "../../worker/watchdog.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the request's one timer", () => {
  it("fires once its deadline passes, and a later deadline moves it without firing early", async () => {
    let fired = 0;
    const w = new Watchdog(Date.now() + 30, () => fired++);
    w.set(Date.now() + 80);
    await sleep(50);
    expect(fired).toBe(0);
    await w.expired;
    expect(fired).toBe(1);
    expect(w.fired).toBe(true);
  });

  it("starts over after firing when given a new deadline", async () => {
    const w = new Watchdog(Date.now() + 10);
    await w.expired;
    w.set(Date.now() + 20);
    expect(w.fired).toBe(false);
    await w.expired;
    expect(w.fired).toBe(true);
  });

  it("runs a checkpoint only for requests still going at that time", async () => {
    let ran = 0;
    const slow = new Watchdog(Date.now() + 1000);
    slow.checkpoint(Date.now() + 20, () => ran++);
    await sleep(50);
    expect(ran).toBe(1);
    slow.stop();

    const quick = new Watchdog(Date.now() + 1000);
    quick.checkpoint(Date.now() + 20, () => ran++);
    quick.stop();
    await sleep(50);
    expect(ran).toBe(1);
  });

  it("does not fire while paused, and the next deadline set counts again", async () => {
    let fired = 0;
    let ran = 0;
    const w = new Watchdog(Date.now() + 20, () => fired++);
    w.checkpoint(Date.now() + 60, () => ran++);
    w.pause();
    await sleep(90);
    expect(fired).toBe(0);
    expect(w.fired).toBe(false);
    // Checkpoints still run while paused.
    expect(ran).toBe(1);
    w.set(Date.now() + 20);
    await w.expired;
    expect(fired).toBe(1);
  });

  it("keeps its checkpoint across a rest between attempts", async () => {
    let ran = 0;
    const w = new Watchdog(Date.now() + 1000);
    w.checkpoint(Date.now() + 30, () => ran++);
    w.rest();
    w.set(Date.now() + 1000);
    await sleep(60);
    expect(ran).toBe(1);
    w.stop();
  });
});
