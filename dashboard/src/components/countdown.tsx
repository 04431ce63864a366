// Time left until a moment, ticking every second on its own (only cooling rows have one).

import { useEffect, useState } from "preact/hooks";
import { duration } from "../format.ts";

export function Countdown({ until, done = "now" }: { until: number; done?: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const left = until - now;
  return (
    <time class="countdown" dateTime={new Date(until).toISOString()} data-until={until}>
      {left > 0 ? duration(left) : done}
    </time>
  );
}
