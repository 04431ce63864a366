// A floor for `npm run bench`: the bare pass-through Worker plus the two Durable Object calls freeway makes per
// chat request (a client limiter's take and a model actor's bid), each answered by an actor that does nothing but
// count. What freeway adds beyond this row is its own work; what this row adds over the bare Worker is the price
// of two actor calls on this machine.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  n = 0;
  async take(need) {
    this.n++;
    return { ok: true, lease: String(this.n), remaining: 1000, tokens: need.tokens ?? 0 };
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    const body = await request.text();
    const [admission] = await Promise.all([env.COUNTER.getByName("client").take({ kind: "ip" }), env.COUNTER.getByName("model").take({ tokens: 100 })]);
    if (!admission.ok) return new Response("refused", { status: 429 });
    const res = await fetch(`${env.UPSTREAM}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer bench" },
      body,
    });
    return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
  },
};
