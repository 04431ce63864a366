// A spinner on stderr for calls that take more than a second — only on a terminal, so pipes and scripts see
// nothing, and stdout stays clean for `--json`.

export interface SpinnerStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Runs `work`; when `stream` is a terminal and it takes longer than `delayMs`, shows `label` with a spinner. */
export async function withSpinner<T>(label: string, work: () => Promise<T>, stream: SpinnerStream, delayMs = 1000): Promise<T> {
  if (!stream.isTTY) return work();
  let frame = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const start = setTimeout(() => {
    ticker = setInterval(() => {
      stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}…`);
    }, 80);
  }, delayMs);
  try {
    return await work();
  } finally {
    clearTimeout(start);
    if (ticker !== undefined) {
      clearInterval(ticker);
      // Erase the spinner line so what follows starts clean.
      stream.write("\r\x1b[K");
    }
  }
}
