// The admin API's router: its type is what the typed client (admin-client/) is built from.

import { analyticsRouter } from "./analytics.ts";
import { keysRouter } from "./keys.ts";
import { modelsRouter, poolsRouter, providersRouter } from "./models.ts";
import { routingRouter } from "./routing.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  analytics: analyticsRouter,
  keys: keysRouter,
  models: modelsRouter,
  pools: poolsRouter,
  providers: providersRouter,
  routing: routingRouter,
});

export type AppRouter = typeof appRouter;
