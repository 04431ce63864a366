// Incremental server-sent-events parsing: bytes in, `data` payloads out; comment lines (keep-alives) dropped.

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
    let start = 0;
    for (;;) {
      const nl = this.#buffer.indexOf("\n", start);
      if (nl < 0) break;
      let line = this.#buffer.slice(start, nl);
      start = nl + 1;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      this.#line(line, out);
    }
    this.#buffer = this.#buffer.slice(start);
    if (final) {
      if (this.#buffer !== "") this.#line(this.#buffer.replace(/\r$/, ""), out);
      this.#buffer = "";
      this.#line("", out);
    }
    return out;
  }

  #line(line: string, out: string[]): void {
    if (line === "") {
      if (this.#data.length) out.push(this.#data.join("\n"));
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
