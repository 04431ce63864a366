// Who is calling: the identity that owns stored objects (responses) and, with access control, is rate-limited.
// Until gateway keys exist (the access-control issue) it is a hash of whatever bearer token the caller sent.

const encoder = new TextEncoder();

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The token a caller presented, as `Authorization: Bearer …` or `x-api-key`. */
export function presentedToken(request: Request): string | null {
  const auth = request.headers.get("authorization");
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, "").trim() || null;
  return request.headers.get("x-api-key")?.trim() || null;
}

/** A stable, secret-free id for the caller: never the token itself. */
export async function callerId(request: Request): Promise<string> {
  const token = presentedToken(request);
  return token ? `token:${(await sha256Hex(token)).slice(0, 32)}` : "anonymous";
}
