// Providers and models (signed in): live state with forecasts, and the actions — enable / disable a provider,
// and per model (in its dialog) limits, enable / disable and cooldown reset.

import { useCallback, useContext, useState } from "preact/hooks";
import { type AdminClient, adminStatus, asGatewayError } from "../api.ts";
import { useConfirm } from "../components/confirm.tsx";
import { NoticeContext } from "../notice.ts";
import { usePoll } from "../poll.ts";
import { clockOffset, modelRows, providerRows, type ProviderRow } from "../rows.ts";
import { ModelDialog } from "./model-dialog.tsx";
import { ModelTable, ProviderTable } from "./model-table.tsx";

const DAY = 86_400_000;

/** Each actor costs a Durable Object request when asked: the forecast (every model again) comes every 30 s. */
const FORECAST_POLL_MS = 30_000;

export function ModelsView({ admin }: { admin: AdminClient }) {
  const notify = useContext(NoticeContext);
  const [confirmEl, ask] = useConfirm();
  const [managing, setManaging] = useState<string | null>(null);
  const { data, refresh: refreshStatus } = usePoll(
    async (signal) => {
      const [status, day] = await Promise.all([adminStatus(admin, signal), admin.analytics.summary.query({ since: Date.now() - DAY, by: "model" }, { signal })]);
      return { status, day, offset: clockOffset(status.generated_at, Date.now()) };
    },
    [admin],
  );
  // The forecast asks every model's actor again and moves with the hour's burn: it need not come every round.
  const forecast = usePoll((signal) => admin.analytics.forecast.query(undefined, { signal }), [admin], FORECAST_POLL_MS);
  const refresh = useCallback(() => {
    refreshStatus();
    forecast.refresh();
  }, [refreshStatus, forecast.refresh]);

  const setProvider = async (p: ProviderRow, enable: boolean): Promise<void> => {
    const verb = enable ? "Enable" : "Disable";
    const ok = await ask({
      title: `${verb} ${p.name}?`,
      body: enable
        ? `All ${p.models} models of ${p.name} will take requests again from the next one on.`
        : `None of the ${p.models} models of ${p.name} will be chosen from the next request on, until you enable them again.`,
      confirm: `${verb} provider`,
      danger: !enable,
    });
    if (!ok) return;
    try {
      const r = await (enable ? admin.providers.enable : admin.providers.disable).mutate({ id: p.id });
      notify(`${p.name}: ${r.models} models ${enable ? "enabled" : "disabled"}.`);
    } catch (e) {
      notify(`Could not ${verb.toLowerCase()} ${p.name}: ${asGatewayError(e).message}`);
    }
    refresh();
  };

  const onChanged = useCallback(() => refresh(), [refresh]);
  const close = useCallback(() => setManaging(null), []);

  return (
    <section aria-labelledby="view-h">
      <h2 id="view-h">Providers and models</h2>
      {!data ? (
        <p class="loading">Loading…</p>
      ) : (
        <>
          <h3>Providers</h3>
          <ProviderTable
            rows={providerRows(data.status)}
            actions={(p) =>
              p.configured ? (
                <span class="actions">
                  <button type="button" onClick={() => void setProvider(p, true)} aria-label={`Enable provider ${p.name}`}>
                    Enable
                  </button>
                  <button type="button" onClick={() => void setProvider(p, false)} aria-label={`Disable provider ${p.name}`}>
                    Disable
                  </button>
                </span>
              ) : null
            }
          />
          <h3>Models</h3>
          <ModelTable
            rows={modelRows(data.status, data.offset, forecast.data, data.day.groups)}
            actions={(r) =>
              r.configured ? (
                <button type="button" onClick={() => setManaging(r.id)} aria-label={`Manage ${r.id}`}>
                  Manage
                </button>
              ) : null
            }
          />
        </>
      )}
      {managing ? <ModelDialog admin={admin} id={managing} onClose={close} onChanged={onChanged} ask={ask} /> : null}
      {confirmEl}
    </section>
  );
}
