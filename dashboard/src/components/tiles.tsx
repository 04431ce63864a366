// Headline numbers: a definition list, so each value is read with its name.

import type { ComponentChildren } from "preact";

export interface Tile {
  label: string;
  value: ComponentChildren;
  note?: ComponentChildren;
}

export function Tiles({ label, tiles }: { label: string; tiles: readonly Tile[] }) {
  return (
    <dl class="tiles" aria-label={label}>
      {tiles.map((t) => (
        <div key={t.label} class="tile">
          <dt>{t.label}</dt>
          <dd>
            <span class="tile-value">{t.value}</span>
            {t.note ? <span class="tile-note">{t.note}</span> : null}
          </dd>
        </div>
      ))}
    </dl>
  );
}
