// What the page says when the latest round failed: the data on screen is kept (and dated), and the next try is
// counted down.

import type { Connection } from "../poll.ts";
import { clock } from "../format.ts";
import { Countdown } from "./countdown.tsx";

const HEADLINES = {
  unreachable: "The gateway is unreachable.",
  rate_limited: "The gateway is rate-limiting this browser.",
  server: "The gateway answered with an error.",
  refused: "The gateway refused the admin token.",
  admin_off: "The gateway's admin API is off.",
} as const;

export function Banner({ conn }: { conn: Connection }) {
  const p = conn.problem;
  return (
    <div class="banner-slot" role="alert">
      {p ? (
        <div class={`banner banner-${p.kind}`}>
          <strong>{HEADLINES[p.kind]}</strong>{" "}
          {p.kind === "server" ? `${p.message} ` : ""}
          {conn.lastOk ? `Showing data from ${clock(conn.lastOk)}. ` : "No data yet. "}
          {conn.retryAt ? (
            <>
              Retrying in <Countdown until={conn.retryAt} done="a moment" />.
            </>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
