// What `npm start` and `npm run serve` need of the machine: a port that is free, a host:port that works for IPv6
// too, and an end when the terminal that started them goes away.

import { createServer } from "node:net";

/** "host:port", with an IPv6 host in brackets ("[::1]:8787"), as URLs and workerd's sockets write it. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** A port number from the environment, or a readable error naming the variable. */
export function portFrom(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`${name} must be a port number (1–65535), not '${text}'`);
  return n;
}

/** Whether nothing listens on host:port yet (a second gateway there would only print a banner and fail). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Call `stop` when this process loses its parent (the terminal closed, or `npm` was killed and did not pass it
 * on): children started detached would otherwise live on, serving a port nobody owns.
 */
export function stopWithParent(stop: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000);
  timer.unref();
  process.on("SIGHUP", stop);
}
