// A small SVG chart (stacked bars or lines over one-minute slots), drawn by hand: no chart library to ship.
// Each chart is a figure with a caption and a one-line text summary; every bar or point carries a <title> tooltip.

import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { clock } from "../format.ts";

export type Tone = "ok" | "bad" | "a" | "b" | "c";

export interface Series {
  label: string;
  tone: Tone;
  values: ReadonlyArray<number | null>;
}

interface Props {
  title: string;
  slots: readonly number[];
  series: readonly Series[];
  kind: "bars" | "lines";
  format: (v: number) => string;
  /** what a screen reader (and a glance) should take away */
  summary: string;
  /** the values are counts: keep the axis on whole numbers */
  integer?: boolean;
}

const HEIGHT = 150;
const PAD = { top: 8, right: 8, bottom: 20, left: 48 };

/**
 * Follow the container's width, so the SVG draws at real pixels and its text never stretches. The observer
 * reports the first size after the browser's own layout: reading clientWidth here would force one per chart.
 */
function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(400);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w) setWidth(Math.max(200, Math.floor(w)));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

/** A round number at or above `v`, so gridlines (at 0, half and top) land on readable values. */
export function niceMax(v: number, integer: boolean): number {
  if (integer && v <= 2) return 2;
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  // Counts need a whole number at the half line too.
  const steps = integer && p === 1 ? [2, 4, 6, 10] : [1, 2, 2.5, 5, 10];
  for (const m of steps) if (m * p >= v) return m * p;
  return 10 * p;
}

export function Chart({ title, slots, series, kind, format, summary, integer = false }: Props) {
  const [ref, width] = useWidth();
  const n = slots.length;
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const totals = slots.map((_, i) =>
    kind === "bars" ? series.reduce((s, x) => s + (x.values[i] ?? 0), 0) : Math.max(0, ...series.map((x) => x.values[i] ?? 0)),
  );
  const max = niceMax(Math.max(0, ...totals), integer);
  const y = (v: number): number => PAD.top + plotH - (v / max) * plotH;
  const slotW = plotW / Math.max(1, n);
  const x = (i: number): number => PAD.left + i * slotW;
  const grid = [0, max / 2, max];

  return (
    <figure class="chart">
      <figcaption>
        <span class="chart-title">{title}</span>
        <span class="chart-summary">{summary}</span>
      </figcaption>
      <div ref={ref} class="chart-box">
        <svg width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`} role="img" aria-label={`${title}: ${summary}`}>
          {grid.map((g) => (
            <g key={g}>
              <line class="grid" x1={PAD.left} x2={width - PAD.right} y1={y(g)} y2={y(g)} />
              <text class="axis" x={PAD.left - 6} y={y(g) + 4} text-anchor="end">
                {format(g)}
              </text>
            </g>
          ))}
          {[0, Math.floor(n / 2), n - 1].map((i) =>
            slots[i] === undefined ? null : (
              <text key={i} class="axis" x={x(i) + slotW / 2} y={HEIGHT - 5} text-anchor={i === 0 ? "start" : i === n - 1 ? "end" : "middle"}>
                {clock(slots[i], false)}
              </text>
            ),
          )}
          {kind === "bars" ? <Bars slots={slots} series={series} x={x} y={y} slotW={slotW} format={format} /> : <Lines slots={slots} series={series} x={x} y={y} slotW={slotW} format={format} />}
        </svg>
      </div>
      <ul class="legend">
        {series.map((s) => (
          <li key={s.label}>
            <span class={`swatch tone-${s.tone}`} aria-hidden="true" />
            {s.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}

interface DrawProps {
  slots: readonly number[];
  series: readonly Series[];
  x: (i: number) => number;
  y: (v: number) => number;
  slotW: number;
  format: (v: number) => string;
}

function Bars({ slots, series, x, y, slotW, format }: DrawProps) {
  const gap = slotW > 6 ? 1 : 0;
  return (
    <g>
      {slots.map((start, i) => {
        let base = 0;
        const parts = series.map((s) => {
          const v = s.values[i] ?? 0;
          const rect = v > 0 ? { tone: s.tone, top: y(base + v), bottom: y(base), label: `${s.label} ${format(v)}` } : null;
          base += v;
          return rect;
        });
        if (base === 0) return null;
        const tip = `${clock(start, false)} — ${parts.filter(Boolean).map((p) => p?.label).join(", ")}`;
        return (
          <g key={start}>
            <title>{tip}</title>
            {parts.map((p, k) => (p ? <rect key={k} class={`tone-${p.tone}`} x={x(i) + gap} width={Math.max(1, slotW - 2 * gap)} y={p.top} height={Math.max(1, p.bottom - p.top)} /> : null))}
          </g>
        );
      })}
    </g>
  );
}

function Lines({ slots, series, x, y, slotW, format }: DrawProps) {
  return (
    <g>
      {series.map((s) => {
        // A gap in the data (a minute without answers) breaks the line rather than drawing it down to zero.
        const runs: string[] = [];
        let run: string[] = [];
        s.values.forEach((v, i) => {
          if (v === null) {
            if (run.length) runs.push(run.join(" "));
            run = [];
          } else run.push(`${(x(i) + slotW / 2).toFixed(1)},${y(v).toFixed(1)}`);
        });
        if (run.length) runs.push(run.join(" "));
        return (
          <g key={s.label} class={`line tone-${s.tone}`}>
            {runs.map((pts, k) => (
              <polyline key={k} points={pts} />
            ))}
            {s.values.map((v, i) =>
              v === null ? null : (
                <circle key={i} cx={x(i) + slotW / 2} cy={y(v)} r={2.5}>
                  <title>{`${clock(slots[i] ?? 0, false)} — ${s.label} ${format(v)}`}</title>
                </circle>
              ),
            )}
          </g>
        );
      })}
    </g>
  );
}
