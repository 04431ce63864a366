// A second floor for `npm run bench`: the bare pass-through Worker, but buffering as freeway must. It reads the
// whole request and parses it (to route), and reads the whole answer and parses it (to fail over on a malformed one
// and to name the model that answered), where the bare Worker streams both through. What this row adds over the
// bare Worker is the price of buffering on this machine; what freeway adds beyond it is its own work.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    const req = JSON.parse(await request.text());
    req.model = "bench-model-1";
    const res = await fetch(`${env.UPSTREAM}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer bench" },
      body: JSON.stringify(req),
    });
    const answer = JSON.parse(await res.text());
    answer.model = "bench/bench-model-1";
    return new Response(JSON.stringify(answer), { status: res.status, headers: { "content-type": "application/json" } });
  },
};
