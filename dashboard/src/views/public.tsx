// Without a token: sign-in, and the public summary anyone may see (GET /v1/analytics and /v1/routing/status:
// per provider and model, no keys, no request log).

import { Tiles } from "../components/tiles.tsx";
import { publicAnalytics, publicStatus } from "../api.ts";
import { count, ms, percent, usd } from "../format.ts";
import { usePoll } from "../poll.ts";
import { clockOffset, modelRows, providerRows } from "../rows.ts";
import { ModelTable, ProviderTable } from "./model-table.tsx";
import { SignIn } from "./signin.tsx";

/**
 * Slower than the operator's views: anonymous reads count against the anonymous allowance (ANON_RPM, 20 a
 * minute by default), and two reads every 6 s stay within it.
 */
const PUBLIC_POLL_MS = 6000;

export function PublicView({ onSignIn, note }: { onSignIn: (token: string) => void; note: string | null }) {
  // Two polls, not one: the day's totals are cheap and show at once; the live state asks every model's actor.
  const analytics = usePoll(publicAnalytics, [], PUBLIC_POLL_MS).data;
  const live = usePoll(
    async (signal) => {
      const status = await publicStatus(signal);
      return { status, offset: clockOffset(status.generated_at, Date.now()) };
    },
    [],
    PUBLIC_POLL_MS,
  ).data;
  const t = analytics?.totals;
  return (
    <>
      <SignIn onSignIn={onSignIn} note={note} />
      <section aria-labelledby="public-h">
        <h2 id="public-h">Public summary</h2>
        <p class="muted">The last 24 hours over all callers, and every provider's live state. Sign in for charts, the request log, keys and actions.</p>
        {!t ? (
          <p class="loading">Loading…</p>
        ) : (
          <Tiles
            label="Last 24 hours"
            tiles={[
              { label: "Requests", value: count(t.requests) },
              { label: "Success rate", value: percent(t.successRate) },
              { label: "Latency p50 / p95", value: `${ms(t.latencyP50)} / ${ms(t.latencyP95)}` },
              { label: "First token p50", value: ms(t.ttftP50) },
              { label: "Tokens", value: count(t.tokensIn + t.tokensOut), note: `${count(t.tokensIn)} in · ${count(t.tokensOut)} out` },
              { label: "Money saved", value: usd(t.moneySaved) },
              { label: "Failovers", value: count(analytics.models.reduce((n, m) => n + m.failoversIn, 0)) },
            ]}
          />
        )}
        {!live ? (
          <p class="loading">Loading the providers' live state…</p>
        ) : (
          <>
            <h3>Providers</h3>
            <ProviderTable rows={providerRows(live.status)} />
            <h3>Models</h3>
            <ModelTable rows={modelRows(live.status, live.offset, null, analytics?.models ?? null)} />
          </>
        )}
      </section>
    </>
  );
}
