import { describe, expect, it } from "vitest";
import { EventSource } from "../../worker/stream.ts";
import { Watchdog } from "../../worker/watchdog.ts";

/** An SSE body that hands out one event per pull, as a provider's stream arrives. */
function body(events: number): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < events) c.enqueue(enc.encode(`data: {"n":${i++}}\n\n`));
      else c.close();
    },
  });
}

describe("reading an upstream stream under the watchdog", () => {
  it("listens to the request's deadline once, not once per chunk (each listener would keep its chunk alive)", async () => {
    const w = new Watchdog(Date.now() + 60_000);
    const expired = w.expired;
    let listeners = 0;
    const then = expired.then.bind(expired);
    Object.defineProperty(expired, "then", {
      value: (...a: Parameters<typeof then>) => {
        listeners++;
        return then(...a);
      },
    });
    const source = new EventSource(body(200), w);
    let read = 0;
    for (;;) {
      const r = await source.next(Date.now() + 60_000);
      if (r.kind !== "data") {
        expect(r.kind).toBe("end");
        break;
      }
      read++;
    }
    expect(read).toBe(200);
    expect(listeners).toBeLessThanOrEqual(1);
    w.stop();
  });

  it("times out a read that waits past its deadline", async () => {
    const w = new Watchdog(Date.now() + 60_000);
    const source = new EventSource(new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined) }), w);
    const r = await source.next(Date.now() + 30);
    expect(r.kind).toBe("timeout");
    source.cancel();
    w.stop();
  });
});
