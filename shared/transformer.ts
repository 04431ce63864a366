// The one serializer of the admin API, shared by the tRPC server (worker/admin) and the typed client (admin-client).

import superjson from "superjson";

export const transformer = superjson;
