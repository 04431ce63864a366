// A data table whose column headers sort it (buttons, so the keyboard works; aria-sort tells screen readers).
// On a narrow screen the table scrolls inside its own focusable region instead of widening the page.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { type SortDir, type SortValue, sortRows } from "../sort.ts";

export interface Column<T> {
  id: string;
  label: string;
  /** the value the column sorts by; without it the column does not sort */
  sort?: (row: T) => SortValue;
  cell: (row: T) => ComponentChildren;
  numeric?: boolean;
  /** this column names the row (a row header for screen readers) */
  rowHeader?: boolean;
}

interface Props<T> {
  caption: string;
  columns: ReadonlyArray<Column<T>>;
  rows: readonly T[];
  rowKey: (row: T) => string;
  initialSort?: { column: string; dir: SortDir };
  empty: ComponentChildren;
  /** extra attributes per row (data-state for styling, say) */
  rowClass?: (row: T) => string | undefined;
}

export function Table<T>({ caption, columns, rows, rowKey, initialSort, empty, rowClass }: Props<T>) {
  const [sort, setSort] = useState(initialSort ?? null);
  const col = sort ? columns.find((c) => c.id === sort.column) : undefined;
  const shown = col?.sort && sort ? sortRows(rows, col.sort, sort.dir) : rows;
  const toggle = (id: string): void =>
    setSort((s) => (s?.column === id ? { column: id, dir: s.dir === "ascending" ? "descending" : "ascending" } : { column: id, dir: "ascending" }));
  return (
    <div class="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table>
        <caption class="sr-only">
          {caption}
          {sort && col ? `, sorted by ${col.label} ${sort.dir}` : ""}
        </caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.id} scope="col" class={c.numeric ? "num" : undefined} aria-sort={sort?.column === c.id ? sort.dir : c.sort ? "none" : undefined}>
                {c.sort ? (
                  <button type="button" class="sort" onClick={() => toggle(c.id)}>
                    {c.label}
                    <span aria-hidden="true" class="sort-mark">
                      {sort?.column === c.id ? (sort.dir === "ascending" ? "▲" : "▼") : "↕"}
                    </span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 ? (
            <tr>
              <td colSpan={columns.length} class="empty">
                {empty}
              </td>
            </tr>
          ) : (
            shown.map((r) => (
              <tr key={rowKey(r)} class={rowClass?.(r)}>
                {columns.map((c) =>
                  c.rowHeader ? (
                    <th key={c.id} scope="row">
                      {c.cell(r)}
                    </th>
                  ) : (
                    <td key={c.id} class={c.numeric ? "num" : undefined}>
                      {c.cell(r)}
                    </td>
                  ),
                )}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
