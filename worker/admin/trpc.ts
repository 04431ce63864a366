// The single initTRPC of the admin API (STYLE.md: tRPC in one place). `env` is closed over in the context,
// since the fetch adapter does not pass it.

import { initTRPC } from "@trpc/server";
import { transformer } from "../../shared/transformer.ts";
import type { Env } from "../env.ts";

export interface AdminContext {
  env: Env;
  /** who is acting, for the audit log: the operator label the client sends (x-freeway-operator), else "admin" */
  operator: string;
}

const t = initTRPC.context<AdminContext>().create({
  transformer,
  // Error shapes never carry stacks to the client, deployed or local.
  isDev: false,
});

export const router = t.router;
export const procedure = t.procedure;
