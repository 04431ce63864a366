// The simulator's route table: one mount per provider, paths mirroring the real APIs beneath it.

import type { Dialect } from "../../shared/catalog/types.ts";
import type { Endpoint } from "./types.ts";

export interface Mount {
  /** provider id, also the first path segment */
  id: string;
  dialect: Dialect;
  /** path of the OpenAI-compatible root under the mount; `{account}` matches one segment */
  root: string;
  endpoints: readonly Endpoint[];
  /** Gemini's native API root: `${native}/models/{model}:batchEmbedContents` serves embeddings too (PROVIDERS.md §3b) */
  native?: string;
}

export const MOUNTS: readonly Mount[] = [
  { id: "groq", dialect: "groq", root: "/groq/openai/v1", endpoints: ["chat", "models"] },
  { id: "gemini", dialect: "gemini", root: "/gemini/v1beta/openai", endpoints: ["chat", "embeddings", "models"], native: "/gemini/v1beta" },
  { id: "cerebras", dialect: "cerebras", root: "/cerebras/v1", endpoints: ["chat", "models"] },
  { id: "sambanova", dialect: "sambanova", root: "/sambanova/v1", endpoints: ["chat", "models"] },
  { id: "nvidia", dialect: "nvidia", root: "/nvidia/v1", endpoints: ["chat", "embeddings", "models"] },
  { id: "openrouter", dialect: "openrouter", root: "/openrouter/api/v1", endpoints: ["chat", "embeddings", "models"] },
  { id: "voyage", dialect: "voyage", root: "/voyage/v1", endpoints: ["embeddings"] },
  // Workers AI has no documented /ai/v1/models (PROVIDERS.md §13), so none here.
  { id: "workers-ai", dialect: "workers-ai", root: "/workers-ai/client/v4/accounts/{account}/ai/v1", endpoints: ["chat", "embeddings"] },
  // Generic OpenAI-compatible upstream for operator-added providers and the benchmark: any model name.
  { id: "openai", dialect: "openai", root: "/openai/v1", endpoints: ["chat", "embeddings", "models"] },
];

const SUFFIX: Record<string, Endpoint> = {
  "chat/completions": "chat",
  embeddings: "embeddings",
  models: "models",
};

export interface Route {
  mount: Mount;
  /** undefined: under a mount but no such endpoint */
  endpoint: Endpoint | undefined;
  account?: string;
  /** a native Gemini call: the model named in the path (`models/{model}:batchEmbedContents`) */
  nativeModel?: string;
}

const NATIVE_BATCH_EMBED = /^\/models\/([^/:]+):batchEmbedContents$/;

/** The mount and endpoint for a path, or undefined when the path is under no mount. */
export function matchRoute(pathname: string): Route | undefined {
  const path = pathname.replace(/\/+$/, "");
  for (const mount of MOUNTS) {
    if (!path.startsWith(`/${mount.id}/`) && path !== `/${mount.id}`) continue;
    if (mount.native && path.startsWith(`${mount.native}/models/`)) {
      const m = NATIVE_BATCH_EMBED.exec(path.slice(mount.native.length));
      return m?.[1] ? { mount, endpoint: "embeddings", nativeModel: decodeURIComponent(m[1]) } : { mount, endpoint: undefined };
    }
    const rootParts = mount.root.split("/");
    const parts = path.split("/");
    let account: string | undefined;
    let ok = parts.length > rootParts.length;
    for (let i = 0; ok && i < rootParts.length; i++) {
      if (rootParts[i] === "{account}") {
        account = parts[i];
        ok = account !== undefined && account !== "";
      } else ok = rootParts[i] === parts[i];
    }
    if (!ok) return { mount, endpoint: undefined };
    const endpoint = SUFFIX[parts.slice(rootParts.length).join("/")];
    const allowed = endpoint !== undefined && mount.endpoints.includes(endpoint) ? endpoint : undefined;
    return account === undefined ? { mount, endpoint: allowed } : { mount, endpoint: allowed, account };
  }
  return undefined;
}
