// POST /v1/embeddings: one vector space per request; batches within each copy's limit, each admitted by its
// actor and failed over only to another copy of the same model; the whole list or an error, never part of it.

import type { ModelSpec } from "../../shared/catalog/types.ts";
import type { RequestLog } from "../ledger.ts";
import { catalogFor, type Catalog } from "../../shared/catalog/index.ts";
import type { KeyRecord } from "../../shared/access.ts";
import { pause } from "../../shared/pause.ts";
import { allows, chargeTokens, type GatedRequest, keyOf } from "../access.ts";
import { adapterFor } from "../adapters/index.ts";
import type { EmbedInput, Vector } from "../adapters/types.ts";
import { auction, releaseWin, remembered } from "../auction.ts";
import { readJson } from "../body.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";
import { callerError, retryAfterSeconds, retryAtAfter } from "../failures.ts";
import { type Settings, settingsFor } from "../settings.ts";
import { heard } from "../reports.ts";
import { countRequest } from "../stats.ts";
import { Watchdog } from "../watchdog.ts";
import { embedAttempt, type EmbedResult } from "./attempt.ts";
import { checkDimensions, maxBatchOf, resolveSpace, type Space } from "./space.ts";
import { textTokens, validateEmbeddings, type EmbeddingsRequest } from "./validate.ts";
import { inFormat, listMark, RawFloats, stringifyWithLists, vectorLength } from "./vectors.ts";

type Failed = Extract<EmbedResult, { ok: false }>;

/** Batches sent at once for one request: enough to hide latency, few enough not to trip per-minute limits. */
const PARALLEL_BATCHES = 4;

/** A run of inputs [start, end) waiting for a copy to embed it. */
interface Batch {
  start: number;
  end: number;
}

/** What every batch of one request shares: exclusions, attempt budget, results. */
class Job {
  readonly excluded = new Set<string>();
  readonly vectors: Vector[];
  /** model id → provider id of every copy that served a batch */
  readonly served = new Map<string, string>();
  readonly controller = new AbortController();
  tokens = 0;
  /** upstream calls made, and how many of them failed */
  attempts = 0;
  failures = 0;
  rpcs = 0;
  /** by failed model, when it can be asked again (the actors' word, once heard, may put it later) */
  readonly failedRetryAt = new Map<string, number>();
  lastFailure: { result: Failed; model: ModelSpec } | null = null;
  /** the vector size, once known (the caller's, the catalog's, or the first answer's) */
  dims: number | undefined;
  /** model id → inputs per call its host takes, learnt from a refused batch (less than the catalog says) */
  readonly perCallLearnt = new Map<string, number>();
  /** the request's record in the request log */
  log: RequestLog | undefined;

  constructor(
    readonly env: Env,
    readonly ctx: ExecutionContext,
    readonly settings: Settings,
    readonly catalog: Catalog,
    readonly req: EmbeddingsRequest,
    readonly space: Space,
    readonly askDims: number | undefined,
    readonly started: number,
    readonly estimates: number[],
  ) {
    this.vectors = new Array<Vector>(req.input.length);
    const sizes = new Set(space.models.map((m) => m.dimensions));
    this.dims = req.dimensions ?? (sizes.size === 1 ? [...sizes][0] : undefined);
  }

  tokensOf(b: Batch): number {
    let t = 0;
    for (let i = b.start; i < b.end; i++) t += this.estimates[i] as number;
    return t;
  }
}

/** POST /v1/embeddings */
export async function embeddings(request: Request, env: Env, ctx: ExecutionContext, requestId: string): Promise<Response> {
  const started = Date.now();
  countRequest();
  const settings = settingsFor(env);
  const req = validateEmbeddings(await readJson(request, settings.maxBodyBytes));
  const catalog = catalogFor(env);
  const pin = typeof env.EMBEDDING_MODEL === "string" && env.EMBEDDING_MODEL.trim() !== "" ? env.EMBEDDING_MODEL.trim() : undefined;
  const space = allowedSpace(resolveSpace(catalog, req.model, pin), keyOf(request));
  const askDims = checkDimensions(space, req.dimensions);
  const job = new Job(env, ctx, settings, catalog, req, space, askDims, started, req.input.map(textTokens));
  job.log = (request as Request & { log?: RequestLog }).log;
  const stop = (): void => job.controller.abort();
  request.signal.addEventListener("abort", stop, { once: true });
  try {
    await runBatches(job);
  } finally {
    request.signal.removeEventListener("abort", stop);
  }
  if (request.signal.aborted) throw new HttpError(499, "The caller closed the request", { code: "client_closed_request" });
  const gate = (request as GatedRequest).gate;
  if (gate) chargeTokens(env, ctx, gate, job.tokens);
  // One copy served everything: name it; several copies of one model: name the model they share.
  const model = job.served.size === 1 ? ([...job.served.keys()][0] as string) : space.name;
  const providers = [...new Set(job.served.values())];
  job.log?.answered({ model, provider: providers.join(","), tokensIn: job.tokens, tokensOut: 0, streamed: false });
  const lists: RawFloats[] = [];
  const body = {
    object: "list",
    data: job.vectors.map((v, index) => {
      const out = inFormat(v, req.encodingFormat);
      // A float list the provider wrote goes out as it wrote it (see vectors.ts), spliced in after stringify.
      return { object: "embedding", index, embedding: out instanceof RawFloats ? listMark(lists.push(out) - 1) : out };
    }),
    model,
    usage: { prompt_tokens: job.tokens, total_tokens: job.tokens },
  };
  return new Response(stringifyWithLists(body, lists), {
    status: 200,
    headers: {
      "content-type": "application/json",
      "x-request-id": requestId,
      "x-freeway-provider": providers.join(","),
      "x-freeway-model": model,
      "x-freeway-embedding-space": space.name,
      "x-freeway-attempts": String(job.attempts),
      "x-freeway-rpcs": String(job.rpcs),
    },
  });
}

/** The copies the caller's key may use; none left is the caller's problem, not capacity. */
function allowedSpace(space: Space, key: KeyRecord | null): Space {
  if (!key?.models) return space;
  const models = space.models.filter((m) => allows(key, m));
  if (models.length === 0) {
    throw new HttpError(403, "This API key may not use the requested embedding model.", { type: "permission_error", param: "model", code: "model_not_allowed" });
  }
  return { name: space.name, models };
}

/**
 * Serve every batch, a few at a time. Batches start as large as the roomiest copy takes; a copy that takes fewer
 * serves the front and puts the rest back in the queue. The first batch that cannot be served fails the request.
 */
function runBatches(job: Job): Promise<void> {
  const largest = Math.max(...job.space.models.map(maxBatchOf));
  const queue: Batch[] = [];
  for (let s = 0; s < job.req.input.length; s += largest) queue.push({ start: s, end: Math.min(s + largest, job.req.input.length) });
  return new Promise<void>((resolve, reject) => {
    let running = 0;
    let failed = false;
    const pump = (): void => {
      // Until an answer shows the vectors' size (copies that do not declare it), one batch at a time: batches
      // answered side by side by two copies could otherwise differ in size, two spaces in one answer.
      while (!failed && running < (job.dims === undefined ? 1 : PARALLEL_BATCHES) && queue.length > 0) {
        const batch = queue.shift() as Batch;
        running++;
        serveBatch(job, batch, (rest) => {
          queue.push(rest);
          pump();
        }).then(
          () => {
            running--;
            if (failed) return;
            if (running === 0 && queue.length === 0) resolve();
            else pump();
          },
          (e: unknown) => {
            running--;
            if (failed) return;
            failed = true;
            // Stop the other batches: their answers can no longer be used.
            job.controller.abort();
            reject(e);
          },
        );
      }
    };
    pump();
  });
}

/** Auction → attempt → fail over, for one batch, until a copy of the space embeds it or none can. */
async function serveBatch(job: Job, first: Batch, requeue: (rest: Batch) => void): Promise<void> {
  let batch = first;
  const { env, ctx, settings, catalog, space } = job;
  const local = new Set<string>();
  // A copy's refusal of this batch's input as too long: the answer if no other copy embeds it (this batch's own,
  // so another batch's outage is never blamed on an input that was embedded).
  let refused: HttpError | null = null;
  const watchdog = new Watchdog(Date.now() + settings.bidDeadlineMs);
  try {
    for (;;) {
      if (job.controller.signal.aborted) return;
      // MAX_ATTEMPTS bounds the failures: a long input list is many calls that all succeed.
      if (job.failures >= settings.maxAttempts || Date.now() - job.started >= settings.totalTimeoutMs) {
        throw refused ?? unavailable(job, Date.now());
      }
      const excluded = local.size ? new Set([...job.excluded, ...local]) : job.excluded;
      const win = await auction({
        env,
        watchdog,
        ctx,
        catalog,
        settings,
        groups: [space.models],
        preset: AUCTION_PRESET,
        excluded,
        tokensFor: (m) => job.tokensOf({ start: batch.start, end: Math.min(batch.end, batch.start + perCall(job, m)) }),
      });
      job.rpcs += win.rpcs;
      if (!win.ok) {
        if (refused) throw refused;
        if (win.tooLarge && batch.end - batch.start > 1) {
          // More tokens than any copy's per-minute allowance: halves may fit (on different copies, or later).
          const mid = batch.start + Math.ceil((batch.end - batch.start) / 2);
          requeue({ start: mid, end: batch.end });
          batch = { start: batch.start, end: mid };
          continue;
        }
        if (win.tooLarge) {
          throw new HttpError(413, "An input is larger than the per-minute or per-day token allowance of every copy of this embedding model", {
            code: "request_too_large",
            param: "input",
          });
        }
        let retryAt = Math.min(win.retryAt, ...job.failedRetryAt.values());
        // Calls of this request went out already, none failing, their quota spent: giving up would waste them
        // (and a retry would meet the same wall). Room that comes back within the request's time is waited for.
        // After a failure the copies are in trouble, not merely full: the request fails as before.
        if (job.attempts > 0 && job.lastFailure === null && retryAt + WAIT_MARGIN_MS < job.started + settings.totalTimeoutMs) {
          await pause(retryAt - Date.now() + WAIT_MARGIN_MS, job.controller.signal);
          continue;
        }
        if (job.failedRetryAt.size > 0 && !job.controller.signal.aborted) {
          // The actors' cooldowns (a backoff beyond what the provider said) decide the Retry-After, as for chat.
          await heard(job.failedRetryAt.keys());
          for (const [id, at] of job.failedRetryAt) job.failedRetryAt.set(id, Math.max(at, remembered(id)?.cooldownUntil ?? 0));
          retryAt = Math.min(win.retryAt, ...job.failedRetryAt.values());
        }
        throw unavailable(job, retryAt);
      }
      const model = win.model;
      const provider = catalog.providers.get(model.provider);
      if (!provider || job.controller.signal.aborted) {
        // Never sent: the reservation goes back untouched (the model's, and its shared pool's).
        job.rpcs += releaseWin(env, ctx, win);
        if (!provider) job.excluded.add(model.id);
        if (job.controller.signal.aborted) return;
        continue;
      }
      const end = Math.min(batch.end, batch.start + perCall(job, model));
      if (end < batch.end) {
        // This copy takes fewer inputs per call than the batch holds: the rest goes back to the queue at once.
        requeue({ start: end, end: batch.end });
        batch = { start: batch.start, end };
      }
      const piece = batch;
      job.attempts++;
      const result = await embedAttempt({
        env,
        ctx,
        settings,
        model,
        provider,
        adapter: adapterFor(provider.dialect),
        lease: win.lease,
        poolLease: win.poolCloses && win.poolLease ? win.poolLease : undefined,
        reserved: win.reserved,
        call: callFor(job, piece),
        estimate: job.tokensOf(piece),
        dims: job.dims,
        watchdog,
        signal: job.controller.signal,
      });
      job.log?.attempt({ model: model.id, provider: model.provider, outcome: result.ok ? "ok" : result.failure });
      if (result.ok) {
        for (let i = 0; i < result.vectors.length; i++) job.vectors[piece.start + i] = result.vectors[i] as Vector;
        job.dims ??= result.vectors[0] ? vectorLength(result.vectors[0]) : undefined;
        job.tokens += result.tokens;
        job.served.set(model.id, model.provider);
        return;
      }
      job.rpcs++;
      if (job.controller.signal.aborted) return;
      job.failures++;
      job.lastFailure = { result, model };
      job.failedRetryAt.set(model.id, Math.min(job.failedRetryAt.get(model.id) ?? Infinity, retryAtAfter(result, model, provider)));
      switch (result.failure) {
        case "caller":
          throw callerError(result, model);
        case "context_length":
          // Another copy may take longer inputs; remember the refusal in case none does.
          refused = callerError(result, model);
          local.add(model.id);
          break;
        case "too_large":
          if (piece.end - piece.start > 1 && (result.status === 413 || /\bbatch\b/i.test(result.message))) {
            // The host takes fewer inputs per call than the catalog says (text-embeddings-inference's default is
            // 32): half as many from now on, the rest back in the queue at the next call. A smaller piece is
            // progress, not a failure; halving ends at one input.
            job.perCallLearnt.set(model.id, Math.min(perCall(job, model), Math.ceil((piece.end - piece.start) / 2)));
            job.failures--;
            break;
          }
          local.add(model.id);
          break;
        default:
          job.excluded.add(model.id);
      }
    }
  } finally {
    watchdog.stop();
  }
}

/** Inputs one call to this copy may carry: its catalog limit, or what its host was found to take. */
function perCall(job: Job, m: ModelSpec): number {
  return Math.min(maxBatchOf(m), job.perCallLearnt.get(m.id) ?? Infinity);
}

function callFor(job: Job, b: Batch): EmbedInput {
  const r = job.req;
  return {
    input: b.start === 0 && b.end === r.input.length ? r.input : r.input.slice(b.start, b.end),
    ...(job.askDims !== undefined ? { dimensions: job.askDims } : {}),
    ...(r.inputType ? { inputType: r.inputType } : {}),
    ...(r.encodingAsked ? { encodingFormat: r.encodingFormat } : {}),
    ...(r.user !== undefined ? { user: r.user } : {}),
    extra: r.extra,
  };
}

/** A margin on a wait for room, so the actor's refill (counted a moment after ours) has happened. */
const WAIT_MARGIN_MS = 100;

/** The auction ranks embedding copies by health and headroom with the default latency weight. */
const AUCTION_PRESET = { id: "auto", description: "embedding copies", latencyWeight: 1 };



/** 503 when no copy of the model can serve now; Retry-After is the earliest moment one can. Never another model. */
function unavailable(job: Job, retryAt: number): HttpError {
  const now = Date.now();
  const last = job.lastFailure;
  const because = last ? ` Last failure: ${last.model.id} — ${last.result.failure}${last.result.status ? ` (HTTP ${last.result.status})` : ""}.` : "";
  const seconds = retryAfterSeconds(retryAt, now);
  return new HttpError(
    503,
    `No copy of the embedding model '${job.space.name}' can serve this request now (freeway never substitutes another embedding model).${because}`,
    {
      type: "service_unavailable",
      code: last ? "upstream_failed" : "no_capacity",
      headers: { "retry-after": seconds, "x-freeway-attempts": String(job.attempts), "x-freeway-embedding-space": job.space.name },
    },
  );
}
