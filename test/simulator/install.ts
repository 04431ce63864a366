// In-process use: route this isolate's fetch calls for one origin to a Simulator (the vitest pool shares the
// isolate with the gateway Worker, so patching globalThis.fetch reaches the Worker's outbound calls).

import type { Simulator } from "./simulator.ts";

type FetchInput = Parameters<typeof globalThis.fetch>[0];

function urlOf(input: FetchInput): string {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/**
 * Sends fetches whose URL starts with `origin` to `sim.fetch`, everything else to the real fetch.
 * A "reset" fault rejects with TypeError("Network connection lost."), as workerd's fetch does.
 * Returns the function that puts the original fetch back.
 */
export function installSimulator(sim: Simulator, origin = "http://sim.test"): () => void {
  const base = origin.replace(/\/+$/, "");
  const original = globalThis.fetch;
  const patched: typeof globalThis.fetch = async (input, init) => {
    const url = urlOf(input);
    if (url !== base && !url.startsWith(`${base}/`) && !url.startsWith(`${base}?`)) return original(input, init);
    const incoming = new Request(input, init);
    const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
    // Buffer the body: a fresh Request per call, never the caller's (STYLE.md habit 6).
    const request = new Request(url, {
      method: incoming.method,
      headers: incoming.headers,
      body: hasBody ? await incoming.arrayBuffer() : null,
      signal: incoming.signal,
    });
    return sim.fetch(request);
  };
  globalThis.fetch = patched;
  return () => {
    if (globalThis.fetch === patched) globalThis.fetch = original;
  };
}
