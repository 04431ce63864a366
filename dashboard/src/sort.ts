// Sorting and filtering table rows: pure, so every table behaves the same (tested in test/unit/dashboard-table).

export type SortDir = "ascending" | "descending";
export type SortValue = number | string | boolean | null | undefined;

/** Rows ordered by `value`; missing values always go last, whichever the direction. */
export function sortRows<T>(rows: readonly T[], value: (row: T) => SortValue, dir: SortDir): T[] {
  const sign = dir === "ascending" ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: value(row) }))
    .sort((a, b) => {
      const an = a.v === null || a.v === undefined || (typeof a.v === "number" && Number.isNaN(a.v));
      const bn = b.v === null || b.v === undefined || (typeof b.v === "number" && Number.isNaN(b.v));
      if (an || bn) return an === bn ? a.i - b.i : an ? 1 : -1;
      const c = typeof a.v === "string" || typeof b.v === "string" ? String(a.v).localeCompare(String(b.v)) : Number(a.v) - Number(b.v);
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((x) => x.row);
}

/** Whether `text` holds every word of `query` (case-insensitive); an empty query matches everything. */
export function matches(text: string, query: string): boolean {
  const hay = text.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}
