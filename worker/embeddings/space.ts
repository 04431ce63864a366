// Which vector space serves an embeddings request: the named model and its identical copies elsewhere, or for
// "auto" one space chosen the same way every time. Failover never leaves the space.

import type { Catalog } from "../../shared/catalog/index.ts";
import { EMBEDDING_PREFERENCE } from "../../shared/catalog/models.ts";
import type { ModelSpec } from "../../shared/catalog/types.ts";
import { badRequest, HttpError } from "../errors.ts";

/** OpenAI's own per-request list limit, for custom models whose batch limit the operator did not give. */
export const DEFAULT_MAX_BATCH = 2048;

export interface Space {
  /** the family alias shared by the copies, or the model id when it has none */
  name: string;
  /** every configured copy of the identical model (the auction's one group) */
  models: ModelSpec[];
}

/** A model under a wildcard custom provider is chat by default; on this route the caller means an embedding model. */
function asEmbedding(m: ModelSpec): ModelSpec {
  return m.kind === "embedding" ? m : { ...m, kind: "embedding", maxOutput: 0 };
}

/** The models a name means on this route, or null when it names nothing (a chat-only name is reported apart). */
function named(catalog: Catalog, name: string): ModelSpec[] | null {
  const exact = catalog.model(name);
  if (exact) {
    const wildcard = catalog.providers.get(exact.provider)?.wildcard === true && !catalog.models.includes(exact);
    return [wildcard ? asEmbedding(exact) : exact];
  }
  const family = catalog.families.get(name);
  if (family) return [...family];
  const byUpstream = catalog.models.filter((m) => m.upstream === name);
  return byUpstream.length ? byUpstream : null;
}

/** The space of one embedding model: it and every model sharing its family (identical weights elsewhere). */
function spaceOf(catalog: Catalog, m: ModelSpec): Space {
  if (!m.family) return { name: m.id, models: [m] };
  return { name: m.family, models: catalog.models.filter((o) => o.kind === "embedding" && o.family === m.family) };
}

function live(catalog: Catalog, s: Space): Space {
  return { name: s.name, models: s.models.filter((m) => catalog.providers.get(m.provider)?.live === true) };
}

function resolveName(catalog: Catalog, name: string, param: string): Space {
  const models = named(catalog, name);
  if (!models) {
    throw new HttpError(400, `The model '${name.slice(0, 200)}' does not exist. Use "auto", an embedding model id or a family alias; GET /v1/models lists them (kind "embedding").`, {
      param,
      code: "model_not_found",
    });
  }
  const embedding = models.filter((m) => m.kind === "embedding");
  if (embedding.length === 0) {
    throw badRequest(`'${name.slice(0, 200)}' is a chat model, not an embedding model; /v1/embeddings needs an embedding model or "auto"`, param, "model_not_embedding");
  }
  const spaces = new Map<string, Space>();
  for (const m of embedding) {
    const s = spaceOf(catalog, m);
    spaces.set(s.name, s);
  }
  if (spaces.size > 1) {
    throw badRequest(`'${name.slice(0, 200)}' names different embedding models (${[...spaces.keys()].join(", ")}); use one of those ids`, param, "model_ambiguous");
  }
  return [...spaces.values()][0] as Space;
}

function unconfigured(name: string): HttpError {
  return new HttpError(503, `No provider that serves the embedding model '${name}' is configured. Set its provider key (see README).`, {
    type: "service_unavailable",
    code: "no_provider_configured",
    headers: { "retry-after": "60" },
  });
}

/**
 * The space for `model`. "auto" is the operator's EMBEDDING_MODEL when set, else the first configured entry of
 * the catalog's preference list, else the first configured embedding model: the same answer for every request
 * until the configuration changes.
 */
export function resolveSpace(catalog: Catalog, model: string, pin: string | undefined): Space {
  if (model === "auto") {
    if (pin) {
      let pinned: Space;
      try {
        pinned = resolveName(catalog, pin, "model");
      } catch (e) {
        // The operator's setting is wrong, not the caller's request.
        const why = e instanceof HttpError ? e.message : String(e);
        throw new HttpError(503, `The gateway's EMBEDDING_MODEL setting is wrong (${why.slice(0, 200)}); "auto" cannot be served until the operator fixes it.`, {
          type: "service_unavailable",
          code: "embedding_model_misconfigured",
          headers: { "retry-after": "60" },
        });
      }
      const s = live(catalog, pinned);
      if (s.models.length === 0) throw unconfigured(s.name);
      return s;
    }
    for (const name of EMBEDDING_PREFERENCE) {
      const models = named(catalog, name);
      const first = models?.find((m) => m.kind === "embedding");
      if (!first) continue;
      const s = live(catalog, spaceOf(catalog, first));
      if (s.models.length > 0) return s;
    }
    const first = catalog.models.find((m) => m.kind === "embedding" && catalog.providers.get(m.provider)?.live === true);
    if (!first) throw unconfigured("auto");
    return live(catalog, spaceOf(catalog, first));
  }
  if (model.startsWith("auto:")) {
    throw badRequest(`'${model.slice(0, 60)}' is a chat preset; /v1/embeddings takes "auto" or an embedding model`, "model", "model_not_embedding");
  }
  const s = live(catalog, resolveName(catalog, model, "model"));
  if (s.models.length === 0) throw unconfigured(s.name);
  return s;
}

/** The batch limit of a copy. */
export function maxBatchOf(m: ModelSpec): number {
  return m.maxBatch ?? DEFAULT_MAX_BATCH;
}

/**
 * Check `dimensions` against the space: a size every copy offers, or the fixed size itself (a no-op, not sent).
 * Returns the size to ask upstream for, if any.
 */
export function checkDimensions(space: Space, dims: number | undefined): number | undefined {
  if (dims === undefined) return undefined;
  let send = false;
  for (const m of space.models) {
    const opts = m.dimensionOptions;
    if (opts === undefined) {
      // A custom model whose size the operator did not give: its provider decides.
      if (m.dimensions === undefined) {
        send = true;
        continue;
      }
      if (dims === m.dimensions) continue;
      throw badRequest(`'dimensions' is not supported by ${m.id}: its vectors always have ${m.dimensions} values`, "dimensions", "unsupported_value");
    }
    const ok = "min" in opts ? dims >= opts.min && dims <= opts.max : opts.includes(dims);
    if (!ok) {
      const allowed = "min" in opts ? `${opts.min} to ${opts.max}` : opts.join(", ");
      throw badRequest(`'dimensions' ${dims} is not offered by ${m.id} (allowed: ${allowed})`, "dimensions", "unsupported_value");
    }
    send = true;
  }
  return send ? dims : undefined;
}
