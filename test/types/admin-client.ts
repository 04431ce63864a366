// Type-level test, checked by `npm run typecheck` (CI): the admin client is typed from the server's router, so
// calling a procedure the server lacks, or passing the wrong input, does not compile.

import { createAdminClient } from "../../admin-client/index.ts";

export async function typeChecks(): Promise<void> {
  const admin = createAdminClient({ url: "http://127.0.0.1:8787", token: "t" });
  const created = await admin.keys.create.mutate({ label: "x", quota: { rpm: 5 } });
  created.key satisfies string;
  (await admin.analytics.summary.query({ by: "provider" })).totals.requests satisfies number;
  (await admin.models.setLimits.mutate({ id: "groq/llama-3.3-70b-versatile", limits: { rpm: 30 } })).limits satisfies object;
  // @ts-expect-error — no such procedure on the server
  await admin.keys.rotate.mutate({ id: "k" });
  // @ts-expect-error — wrong input type
  await admin.models.setLimits.mutate({ id: "x", limits: { rpm: "thirty" } });
  // @ts-expect-error — no such router
  await admin.billing.invoices.query();
}
