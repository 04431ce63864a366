// Incremental server-sent-events parsing: bytes in, `data` payloads out; comment lines (keep-alives) dropped.

const EOL = /\r\n|\r|\n/g;

export class SseParser {
  #decoder = new TextDecoder();
  #buffer = "";
  #data: string[] = [];

  /** Feed bytes; returns the data payloads of every event completed by them. */
  push(chunk: Uint8Array): string[] {
    this.#buffer += this.#decoder.decode(chunk, { stream: true });
    return this.#drain(false);
  }

  /** End of input: a final event without its blank line still counts. */
  end(): string[] {
    this.#buffer += this.#decoder.decode();
    return this.#drain(true);
  }

  #drain(final: boolean): string[] {
    const out: string[] = [];
    const buf = this.#buffer;
    let start = 0;
    for (;;) {
      // Lines end in CRLF, LF or a lone CR (the SSE spec allows all three).
      EOL.lastIndex = start;
      const m = EOL.exec(buf);
      if (!m) break;
      // A CR that ends the input so far may be the first half of a CRLF split across reads: wait for the next.
      if (m[0] === "\r" && m.index === buf.length - 1 && !final) break;
      this.#line(buf.slice(start, m.index), out);
      start = m.index + m[0].length;
    }
    this.#buffer = buf.slice(start);
    if (final) {
      if (this.#buffer !== "") this.#line(this.#buffer, out);
      this.#buffer = "";
      this.#line("", out);
    }
    return out;
  }

  #line(line: string, out: string[]): void {
    if (line === "") {
      // An event whose data is empty dispatches nothing (the SSE spec): some proxies send "data:" to keep alive.
      const data = this.#data.join("\n");
      if (data !== "") out.push(data);
      this.#data = [];
      return;
    }
    if (line.startsWith(":")) return; // comment: OpenRouter's ": OPENROUTER PROCESSING" keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== "data") return;
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    this.#data.push(value);
  }
}

const encoder = new TextEncoder();

export function sseData(payload: string): Uint8Array {
  return encoder.encode(`data: ${payload}\n\n`);
}
