// SHA-256 as lowercase hex: how gateway keys are stored and how callers are named (never the secret itself).

const encoder = new TextEncoder();

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  let out = "";
  for (const b of new Uint8Array(digest)) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * sha256Hex for the values a hot path hashes on every request (the caller's key, the caller's address): the
 * digest is an async call that costs more than the rest of admission, and the same few callers come back again
 * and again. The memo lives in the isolate's memory only and is bounded (dropped whole when full).
 */
const memo = new Map<string, string>();
const MEMO_MAX = 4096;
/** Longer values (no real key or address is) are hashed each time: the memo's size stays bounded in bytes too. */
const MEMO_MAX_LENGTH = 256;

/** Whether the memo holds this value (what its bounds let in, for the tests). */
export function memoized(text: string): boolean {
  return memo.has(text);
}

export async function sha256HexMemo(text: string): Promise<string> {
  const hit = memo.get(text);
  if (hit !== undefined) return hit;
  const hash = await sha256Hex(text);
  if (text.length > MEMO_MAX_LENGTH) return hash;
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(text, hash);
  return hash;
}
