// Per-isolate counters the benchmark reads from /health: requests served and actor calls made for them.

let requests = 0;
let actorRpcs = 0;

export function countRequest(): void {
  requests++;
}

export function countRpc(n = 1): void {
  actorRpcs += n;
}

export function isolateStats(): { requests: number; actor_rpcs: number } {
  return { requests, actor_rpcs: actorRpcs };
}
