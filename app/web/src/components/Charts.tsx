// Small SVG charts: a line chart over time and a stacked bar chart. Each is a <figure>
// with a caption, role="img" and a label summarising it, and the figures as a table for
// screen readers (visually hidden) — a chart is never the only way to read a number.
import type { ReactNode } from 'react';

export type Series = { name: string; color: string; points: { x: number; y: number }[] };

const W = 640;
const H = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

function ticks(min: number, max: number, count = 4): number[] {
  if (max <= min) return [min];
  const step = (max - min) / count;
  return Array.from({ length: count + 1 }, (_, i) => min + step * i);
}

/** An axis label: compact (1.3M, 975k) where the full figure would not fit the margin. */
function tick(v: number, digits: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 })}M`;
  if (a >= 1e4) return `${(v / 1e3).toLocaleString('en-US', { maximumFractionDigits: 1 })}k`;
  return fmt(v, digits);
}

const fmt = (v: number, digits: number) =>
  v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Horizontal grid lines with their labels, from `from` to `to`; `y` maps a value to the SVG's y. */
function YGrid(props: { from: number; to: number; y: (v: number) => number; digits: number }) {
  return (
    <>
      {ticks(props.from, props.to).map((t) => (
        <g key={t}>
          <line x1={PAD.left} x2={W - PAD.right} y1={props.y(t)} y2={props.y(t)} className="grid" />
          <text x={PAD.left - 6} y={props.y(t) + 4} textAnchor="end" className="tick">
            {tick(t, props.digits)}
          </text>
        </g>
      ))}
    </>
  );
}

function Legend({ items }: { items: { name: string; color: string }[] }) {
  return (
    <ul className="legend" aria-hidden="true">
      {items.map((s) => (
        <li key={s.name}>
          <span className="swatch" style={{ background: s.color }} />
          {s.name}
        </li>
      ))}
    </ul>
  );
}

/** The chart's figures as a table, for screen readers only. */
function ScreenReaderTable(props: {
  title: string;
  rowHeader: string;
  columns: string[];
  rows: { label: string; cells: string[] }[];
}) {
  return (
    <div className="visually-hidden">
      <table>
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">{props.rowHeader}</th>
            {props.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i}>
              <th scope="row">{r.label}</th>
              {r.cells.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LineChart(props: {
  title: string;
  series: Series[];
  yDigits?: number;
  xLabel: (x: number) => string;
  empty?: ReactNode;
}) {
  const { title, series, yDigits = 4, xLabel } = props;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) {
    return (
      <figure className="chart">
        <figcaption>{title}</figcaption>
        <p className="muted">{props.empty ?? 'No data yet.'}</p>
      </figure>
    );
  }
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 * 0.99 - 1e-9, y1 * 1.01 + 1e-9];
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const last = series.map((s) => `${s.name} ${s.points.length ? fmt(s.points[s.points.length - 1].y, yDigits) : '–'}`);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${title}: ${all.length} points; latest ${last.join(', ')}`}
      >
        <YGrid from={y0} to={y1} y={sy} digits={yDigits} />
        {[x0, x1].map((t, i) => (
          <text key={i} x={sx(t)} y={H - 8} textAnchor={i === 0 ? 'start' : 'end'} className="tick">
            {xLabel(t)}
          </text>
        ))}
        {series.map((s) => (
          <g key={s.name}>
            <polyline
              fill="none"
              stroke={s.color}
              strokeWidth={2}
              points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}
            />
            {s.points.length === 1 && <circle cx={sx(s.points[0].x)} cy={sy(s.points[0].y)} r={3} fill={s.color} />}
          </g>
        ))}
      </svg>
      <Legend items={series} />
      <ScreenReaderTable
        title={title}
        rowHeader="Time"
        columns={series.map((s) => s.name)}
        rows={[...new Set(all.map((p) => p.x))]
          .sort((a, b) => a - b)
          .map((x) => ({
            label: xLabel(x),
            cells: series.map((s) => {
              const point = s.points.find((p) => p.x === x);
              return point ? fmt(point.y, yDigits) : '';
            }),
          }))}
      />
    </figure>
  );
}

export function StackedBars(props: {
  title: string;
  categories: string[];
  stacks: { name: string; color: string; values: number[] }[];
  unit: string;
}) {
  const { title, categories, stacks, unit } = props;
  const totals = categories.map((_, i) => stacks.reduce((sum, s) => sum + s.values[i], 0));
  const top = Math.max(...totals, 1);
  const band = (W - PAD.left - PAD.right) / Math.max(categories.length, 1);
  const sy = (v: number) => (v / top) * (H - PAD.top - PAD.bottom);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${title}: ${categories.map((c, i) => `${c} ${fmt(totals[i], 0)} ${unit}`).join('; ')}`}
      >
        <YGrid from={0} to={top} y={(v) => H - PAD.bottom - sy(v)} digits={0} />
        {categories.map((c, i) => {
          let base = H - PAD.bottom;
          return (
            <g key={c}>
              {stacks.map((s) => {
                const h = sy(s.values[i]);
                base -= h;
                return (
                  <rect
                    key={s.name}
                    x={PAD.left + i * band + band * 0.15}
                    width={band * 0.7}
                    y={base}
                    height={h}
                    fill={s.color}
                  />
                );
              })}
              <text x={PAD.left + i * band + band / 2} y={H - 8} textAnchor="middle" className="tick">
                {c}
              </text>
            </g>
          );
        })}
      </svg>
      <Legend items={stacks} />
      <ScreenReaderTable
        title={title}
        rowHeader="Maturity"
        columns={stacks.map((s) => s.name)}
        rows={categories.map((c, i) => ({ label: c, cells: stacks.map((s) => `${fmt(s.values[i], 0)} ${unit}`) }))}
      />
    </figure>
  );
}
