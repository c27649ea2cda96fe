/**
 * Inline SVG charts drawn by hand (no library, no CDN): grouped bars and line charts with
 * optional log axes. Figures here span four orders of magnitude (an in-memory array against
 * a networked server), so both charts take a log scale.
 */

export const PALETTE = ['#1f77b4', '#17becf', '#d62728', '#ff7f0e', '#2ca02c', '#9467bd', '#7f7f7f', '#8c564b', '#e377c2'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceLogTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) ticks.push(10 ** e);
  return ticks;
}

function shortNumber(v: number): string {
  if (v >= 1e9) return `${v / 1e9}G`;
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

function legend(series: string[], x: number, y: number): string {
  return series
    .map((name, i) => `<rect x="${x}" y="${y + i * 16}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 14}" y="${y + i * 16 + 9}" font-size="11">${esc(name)}</text>`)
    .join('');
}

export interface BarGroup {
  label: string;
  /** One value per series, NaN where the series has no figure. */
  values: number[];
}

/** Grouped bars on a log scale: one group per workload, one bar per system. */
export function barChart(title: string, unit: string, series: string[], groups: BarGroup[]): string {
  const all = groups.flatMap((g) => g.values).filter((v) => Number.isFinite(v) && v > 0);
  if (all.length === 0) return '';
  const ticks = niceLogTicks(Math.min(...all), Math.max(...all));
  const lo = Math.log10(ticks[0]!);
  const hi = Math.log10(ticks[ticks.length - 1]!);
  const left = 60;
  const top = 30;
  const plotH = 260;
  const barW = 12;
  const groupW = series.length * barW + 16;
  const plotW = groups.length * groupW;
  const width = left + plotW + 240;
  const height = top + plotH + 60;
  const y = (v: number) => top + plotH - ((Math.log10(v) - lo) / (hi - lo || 1)) * plotH;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`, `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`];
  for (const t of ticks) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${left - 6}" y="${y(t) + 4}" font-size="10" text-anchor="end">${shortNumber(t)}</text>`);
  }
  parts.push(`<text x="12" y="${top + plotH / 2}" font-size="11" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle">${esc(unit)} (log)</text>`);
  groups.forEach((g, gi) => {
    const gx = left + gi * groupW + 8;
    g.values.forEach((v, si) => {
      if (!Number.isFinite(v) || v <= 0) return;
      const by = y(v);
      parts.push(`<rect x="${gx + si * barW}" y="${by}" width="${barW - 2}" height="${top + plotH - by}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(series[si]!)} ${esc(g.label)}: ${shortNumber(Math.round(v))} ${esc(unit)}</title></rect>`);
    });
    parts.push(`<text x="${gx + (series.length * barW) / 2}" y="${top + plotH + 14}" font-size="10" text-anchor="middle">${esc(g.label)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  parts.push(legend(series, left + plotW + 16, top));
  parts.push('</svg>');
  return parts.join('');
}

export interface LineSeries {
  name: string;
  points: Array<[number, number]>;
}

export interface Axis {
  label: string;
  /** Maps a data value to the drawn coordinate (identity, log10, "nines"). */
  transform: (v: number) => number;
  ticks: number[];
  tickLabel: (v: number) => string;
}

/** Lines over arbitrary axes: percentile curves ("nines" x, log y) and scale curves (log x). */
export function lineChart(title: string, series: LineSeries[], xAxis: Axis, yAxis: Axis): string {
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(xAxis.transform(x)) && Number.isFinite(yAxis.transform(y)));
  if (pts.length === 0) return '';
  const xs = [...pts.map(([x]) => xAxis.transform(x)), ...xAxis.ticks.map(xAxis.transform)];
  const ys = [...pts.map(([, y]) => yAxis.transform(y)), ...yAxis.ticks.map(yAxis.transform)];
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const left = 70;
  const top = 30;
  const plotW = 520;
  const plotH = 280;
  const width = left + plotW + 260;
  const height = top + plotH + 50;
  const px = (v: number) => left + ((xAxis.transform(v) - x0) / (x1 - x0 || 1)) * plotW;
  const py = (v: number) => top + plotH - ((yAxis.transform(v) - y0) / (y1 - y0 || 1)) * plotH;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`, `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`];
  for (const t of yAxis.ticks) parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/><text x="${left - 6}" y="${py(t) + 4}" font-size="10" text-anchor="end">${esc(yAxis.tickLabel(t))}</text>`);
  for (const t of xAxis.ticks) parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${top}" y2="${top + plotH}" stroke="#eee"/><text x="${px(t)}" y="${top + plotH + 14}" font-size="10" text-anchor="middle">${esc(xAxis.tickLabel(t))}</text>`);
  parts.push(`<text x="${left + plotW / 2}" y="${top + plotH + 34}" font-size="11" text-anchor="middle">${esc(xAxis.label)}</text>`);
  parts.push(`<text x="14" y="${top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${esc(yAxis.label)}</text>`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const valid = s.points.filter(([x, y]) => Number.isFinite(xAxis.transform(x)) && Number.isFinite(yAxis.transform(y)));
    if (valid.length === 0) return;
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${valid.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of valid) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${color}"><title>${esc(s.name)}: ${esc(xAxis.tickLabel(x))} → ${esc(yAxis.tickLabel(y))}</title></circle>`);
  });
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  parts.push(legend(series.map((s) => s.name), left + plotW + 16, top));
  parts.push('</svg>');
  return parts.join('');
}

export function logTicks(values: number[]): number[] {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  return v.length ? niceLogTicks(Math.min(...v), Math.max(...v)) : [1];
}
