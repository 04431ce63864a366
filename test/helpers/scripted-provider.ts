// A provider that plays exact SSE text, for the servers the simulator does not imitate (Ollama, SGLang, Foundry
// Local, odd proxies): custom providers at http://scripted.test, served by a patched `fetch` in this isolate.
// Each call plays the next script of its provider (the last one again once they run out).

import { gateway, uniqueProvider, type Gateway } from "./gateway.ts";

/** SSE text as is; a pause; a dropped connection; a response head that never comes (until the call is aborted). */
export type Step = string | { wait: number } | { drop: string } | "no_head";

export interface ScriptedCall {
  body: Record<string, unknown>;
  /** the gateway aborted the call (or cancelled its body) */
  aborted: boolean;
}

export interface Scripted {
  g: Gateway;
  /** the model id of each provider, in order ("<provider>/m<i>") */
  ids: string[];
  calls: ScriptedCall[];
  /** restore fetch and close the gateway */
  close(): void;
}

const ORIGIN = "http://scripted.test";

export function scriptedGateway(providers: Array<{ scripts: Step[][]; prefill?: boolean }>, settings: Record<string, string> = {}): Scripted {
  const names = providers.map((_, i) => uniqueProvider(`s${i}`));
  const custom = providers.map((p, i) => ({
    id: names[i],
    baseUrl: `${ORIGIN}/${names[i]}/v1`,
    apiKey: "scripted-key",
    models: [`m${i}`],
    ...(p.prefill !== undefined ? { prefill: p.prefill } : {}),
  }));
  const g = gateway({ CUSTOM_PROVIDERS: JSON.stringify(custom), ...settings }, { builtins: false });
  const calls: ScriptedCall[] = [];
  const played = providers.map(() => 0);
  const original = globalThis.fetch;
  const encoder = new TextEncoder();
  const patched: typeof fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(`${ORIGIN}/`)) return original(input, init);
    const req = new Request(input, init);
    const i = names.indexOf(url.split("/")[3] ?? "");
    const p = providers[i];
    if (!p) return new Response("no such scripted provider", { status: 404 });
    const script = p.scripts[Math.min(played[i]!++, p.scripts.length - 1)] ?? [];
    const call: ScriptedCall = { body: (await req.json()) as Record<string, unknown>, aborted: false };
    calls.push(call);
    const signal = req.signal;
    if (script[0] === "no_head") {
      return new Promise<Response>((_, reject) => {
        const stop = (): void => {
          call.aborted = true;
          reject(new Error("aborted"));
        };
        if (signal.aborted) stop();
        else signal.addEventListener("abort", stop, { once: true });
      });
    }
    signal.addEventListener("abort", () => (call.aborted = true), { once: true });
    let next = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        for (;;) {
          if (signal.aborted) return c.error(new Error("aborted"));
          const step = script[next++];
          if (step === undefined) return c.close();
          if (typeof step === "string") return c.enqueue(encoder.encode(step));
          if ("wait" in step) await new Promise((r) => setTimeout(r, step.wait));
          else if ("drop" in step) return c.error(new Error(step.drop));
        }
      },
      cancel() {
        call.aborted = true;
      },
    });
    return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  };
  globalThis.fetch = patched;
  return {
    g,
    ids: names.map((n, i) => `${n}/m${i}`),
    calls,
    close() {
      if (globalThis.fetch === patched) globalThis.fetch = original;
      g.close();
    },
  };
}

/** One SSE chunk of choice 0 (`extra`: more top-level fields). */
export function chunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ id: "up-1", object: "chat.completion.chunk", created: 1, model: "x", choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
}

export const DONE = "data: [DONE]\n\n";
