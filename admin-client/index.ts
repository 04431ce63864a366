// The typed admin client: every procedure and its types come from the server's AppRouter (type import only).

import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { transformer } from "../shared/transformer.ts";
import type { AppRouter } from "../worker/admin/router.ts";

export interface AdminClientOptions {
  /** the gateway's base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  /** ADMIN_TOKEN */
  token: string;
  /** a fetch to use instead of the global one (tests inject the Worker's) */
  fetch?: typeof fetch;
  /** who is acting, recorded in the audit log (sent as x-freeway-operator; the server defaults to "admin") */
  operator?: string;
}

export function createAdminClient(opts: AdminClientOptions) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${opts.url.replace(/\/+$/, "")}/admin/trpc`,
        transformer,
        // Queries go as POST too: `explain` carries a whole chat body, too long for a URL (16 KB on Cloudflare).
        methodOverride: "POST",
        headers: () => ({ authorization: `Bearer ${opts.token}`, ...(opts.operator ? { "x-freeway-operator": opts.operator } : {}) }),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      }),
    ],
  });
}

export type AdminClient = ReturnType<typeof createAdminClient>;
export type { AppRouter };
