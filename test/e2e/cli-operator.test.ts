// The admin CLI in-process (no gateway needed): an --operator label a header cannot carry is a usage error that
// says so, not "cannot reach the gateway".

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../admin-client/cli/main.ts";
import { EXIT } from "../../admin-client/cli/errors.ts";

let server: Server;
let url = "";
let hits = 0;
beforeAll(async () => {
  // Stands in for a gateway: answers every admin call with an empty key list.
  server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([{ result: { data: { json: [] } } }]));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    return { code: await main(args), stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

describe("admin CLI --operator", () => {
  it("works against a reachable gateway with a plain label", async () => {
    const r = await run(["keys", "list", "--url", url, "--token", "t", "--operator", "alice"]);
    expect(r.code).toBe(EXIT.ok);
  });

  it("refuses a label a header cannot carry as a usage error (exit 2), not as an unreachable gateway (exit 3)", async () => {
    const before = hits;
    const r = await run(["keys", "list", "--url", url, "--token", "t", "--operator", "张三"]);
    expect(r.stderr).not.toMatch(/cannot reach the gateway/);
    expect(r.stderr).toMatch(/operator/);
    expect(r.code).toBe(EXIT.usage);
    expect(hits).toBe(before);
  });
});

describe("admin CLI --url pointing at something else", () => {
  it("says the server there is no freeway admin API when it answers 200 with a web page", async () => {
    const other = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><p>some dev server"));
    await new Promise<void>((ok) => other.listen(0, "127.0.0.1", ok));
    try {
      const r = await run(["keys", "list", "--url", `http://127.0.0.1:${(other.address() as AddressInfo).port}`, "--token", "t"]);
      expect(r.stderr).not.toMatch(/Unexpected token/);
      expect(r.stderr).toMatch(/not a freeway admin API/);
      expect(r.code).toBe(EXIT.refused);
    } finally {
      other.close();
    }
  });
});
