// Deterministic hashing and a seeded PRNG: answers and vectors must be reproducible across runs and runtimes.

/** FNV-1a, 32 bit. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: tiny, fast, good enough spread for fake words and vectors. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A short stable hex id derived from text (two hashes for 16 hex digits). */
export function hexId(text: string, length = 16): string {
  const a = hash32(text).toString(16).padStart(8, "0");
  const b = hash32(`${text}\u0001`).toString(16).padStart(8, "0");
  return (a + b).slice(0, length);
}
