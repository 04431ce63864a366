// How the admin CLI tells its failures apart: exit 3 when the gateway does not answer, 4 when it refuses the
// token or has no admin API, 1 for what the server refused, 2 for the command line.

import { describe, expect, it } from "vitest";
import { classify, EXIT, GatewayError, Unauthorised, Unreachable, UsageError } from "../../admin-client/cli/errors.ts";
import { guardedFetch } from "../../admin-client/cli/transport.ts";

const envelope = (status: number, message: string): Response => Response.json({ error: { message, type: "x", param: null, code: "y" } }, { status });

/** What tRPC's client throws: a TRPCClientError with the transport's error as its cause. */
function clientError(message: string, cause?: unknown, code?: string): Error {
  const e = new Error(message, { cause });
  e.name = "TRPCClientError";
  return Object.assign(e, { data: code ? { code } : undefined });
}

describe("guardedFetch", () => {
  it("passes tRPC's answers through, errors included", async () => {
    const trpcError = Response.json([{ error: { json: { message: "No model", code: -32004 } } }], { status: 404 });
    const res = await guardedFetch("http://gw", 1000, async () => trpcError)("http://gw/admin/trpc/x");
    expect(res.status).toBe(404);
  });

  it("turns 401 and 403 into Unauthorised with the gateway's message", async () => {
    await expect(guardedFetch("http://gw", 1000, async () => envelope(401, "The admin token is missing or wrong."))("http://gw/a")).rejects.toThrow(Unauthorised);
    const disabled = await guardedFetch("http://gw", 1000, async () => envelope(403, "The admin API is disabled"))("http://gw/a").catch((e: unknown) => e);
    expect(disabled).toBeInstanceOf(Unauthorised);
    expect((disabled as Unauthorised).message).toMatch(/admin API is disabled/);
  });

  it("turns no answer into Unreachable, and other HTTP errors into GatewayError", async () => {
    const refused = guardedFetch("http://gw", 1000, async () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    });
    await expect(refused("http://gw/a")).rejects.toThrow(/cannot reach the gateway at http:\/\/gw \(ECONNREFUSED\)/);
    const slow = guardedFetch("http://gw", 20, (_input, init) => new Promise((_ok, fail) => init?.signal?.addEventListener("abort", () => fail(init.signal?.reason))));
    await expect(slow("http://gw/a")).rejects.toThrow(Unreachable);
    await expect(guardedFetch("http://gw", 1000, async () => new Response("<html>", { status: 502 }))("http://gw/a")).rejects.toThrow(GatewayError);
  });
});

describe("classify", () => {
  it("maps each failure to its exit code", () => {
    expect(classify(new UsageError("bad")).code).toBe(EXIT.usage);
    expect(classify(clientError("fetch failed", new Unreachable("down"))).code).toBe(EXIT.unreachable);
    expect(classify(clientError("x", new Unauthorised("wrong", 401)))).toEqual({ code: EXIT.unauthorised, message: "unauthorised (HTTP 401): wrong" });
    expect(classify(clientError("No model 'x' in the catalog", undefined, "NOT_FOUND"))).toEqual({ code: EXIT.refused, message: "No model 'x' in the catalog (NOT_FOUND)" });
    expect(classify(clientError('[{"path":["limits","rpm"],"message":"Too small"}]', undefined, "BAD_REQUEST")).message).toBe("limits.rpm: Too small (BAD_REQUEST)");
    expect(classify(new Error("boom")).code).toBe(EXIT.refused);
  });
});
