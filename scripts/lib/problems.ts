// After start-up: what the gateway found wrong with its settings (/health `problems`), printed where the
// operator is looking, not only on an endpoint nobody opens.

/** Print the gateway's setting problems, if any, as warnings. */
export async function printProblems(url: string): Promise<void> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { problems?: unknown };
    const problems = Array.isArray(body.problems) ? body.problems.filter((p): p is string => typeof p === "string") : [];
    for (const p of problems) console.warn(`warning: ${p}`);
  } catch {
    // The gateway answers /health once it runs; a failure here is not the operator's problem to read about.
  }
}
