// Node adapter: serves a Simulator over node:http, streaming bodies write by write and dropping sockets on faults.
// Run directly: `node test/simulator/server.ts --port 8790` (Node 22 strips the types).

import { realpathSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Simulator } from "./simulator.ts";
import { isSimReset } from "./util.ts";

export interface SimulatorServer {
  url: string;
  sim: Simulator;
  close(): Promise<void>;
}

export interface SimulatorServerOptions {
  port?: number;
  host?: string;
  sim?: Simulator;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function toRequest(req: IncomingMessage, body: Buffer, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(`http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`, {
    method,
    headers,
    body: hasBody ? new Uint8Array(body) : null,
    signal,
  });
}

async function handle(sim: Simulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const client = new AbortController();
  // "close" before the response finished = the client went away: abort, so the simulator stops its timers.
  res.on("close", () => {
    if (!res.writableFinished) client.abort(new DOMException("The client closed the connection.", "AbortError"));
  });
  req.socket.setNoDelay(true);
  let response: Response;
  try {
    response = await sim.fetch(toRequest(req, await readBody(req), client.signal));
  } catch (e) {
    if (isSimReset(e)) req.socket.destroy();
    else if (!client.signal.aborted) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `simulator failure: ${String(e)}` }));
    }
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  // Headers go out now: a slow stream shows its headers before its first chunk, like a real slow model.
  res.flushHeaders();
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  client.signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined), { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Wait for each write to reach the socket, so a cut that follows drops the connection, not the data.
      await new Promise<void>((ok) => res.write(value, () => ok()));
    }
    res.end();
  } catch {
    // An abrupt cut: the client must see the connection die mid-body, not a clean end.
    res.destroy();
  }
}

/** Starts a simulator on host:port (port 0 = any free port). */
export async function startSimulatorServer(opts: SimulatorServerOptions = {}): Promise<SimulatorServer> {
  const sim = opts.sim ?? new Simulator();
  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    void handle(sim, req, res);
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url,
    sim,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        // Hanging and stalled requests would hold close() open forever.
        server.closeAllConnections();
      }),
  };
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(resolve(entry))).href === import.meta.url;
  } catch {
    return false;
  }
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (isMain()) {
  const started = await startSimulatorServer({ port: Number(flag("port") ?? "8790"), host: flag("host") ?? "127.0.0.1" });
  console.log(`simulator listening on ${started.url}`);
  const stop = (): void => {
    void started.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
