// Aligned text tables and ANSI colour, for people; `--json` is for scripts. Colour is decided by the caller
// (stdout is a TTY and NO_COLOR is unset), so this module stays pure.

const ANSI = /\x1b\[[0-9;]*m/g;

export type Paint = (text: string) => string;

export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

function sgr(open: number, close: number): Paint {
  return (text) => `\x1b[${open}m${text}\x1b[${close}m`;
}

const plain: Paint = (text) => text;

export function palette(color: boolean): Palette {
  if (!color) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), cyan: sgr(36, 39) };
}

/** Columns a string takes on screen (colour codes take none). */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

export interface Column {
  header: string;
  align?: "left" | "right";
}

export interface TableOptions {
  color: boolean;
  /** a last row set off by a rule, e.g. totals */
  footer?: string[];
}

function pad(text: string, width: number, align: "left" | "right"): string {
  const gap = " ".repeat(Math.max(0, width - visibleWidth(text)));
  return align === "right" ? gap + text : text + gap;
}

/** Columns two spaces apart, each as wide as its widest cell; no trailing spaces. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], opts: TableOptions): string {
  const c = palette(opts.color);
  const all = [columns.map((col) => col.header), ...rows, ...(opts.footer ? [opts.footer] : [])];
  const widths = columns.map((_, i) => Math.max(...all.map((r) => visibleWidth(r[i] ?? ""))));
  const line = (cells: readonly string[]): string =>
    columns
      .map((col, i) => pad(cells[i] ?? "", i === columns.length - 1 && (col.align ?? "left") === "left" ? 0 : (widths[i] as number), col.align ?? "left"))
      .join("  ")
      .trimEnd();
  const out = [c.bold(line(columns.map((col) => col.header))), ...rows.map(line)];
  if (opts.footer) {
    out.push(c.dim("─".repeat(widths.reduce((s, w) => s + w, 0) + 2 * (columns.length - 1))));
    out.push(c.bold(line(opts.footer)));
  }
  return out.join("\n");
}
