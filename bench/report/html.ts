/**
 * The HTML report: one self-contained file (no scripts, no CDN) with the same tables as the
 * markdown output and inline SVG charts: throughput bars per phase, latency percentile
 * curves, and Skein's records/s as partitions grow.
 */
import { renderMarkdown, find } from '../compare/markdown.js';
import { micros, sizeLabel } from '../compare/format.js';
import type { Report } from '../compare/report-data.js';
import { barChart, lineChart, logTicks, type Axis } from './svg.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Markdown of the subset markdown.ts writes (headings, tables, list items, paragraphs) to HTML. */
function markdownToHtml(md: string, after: (heading: string) => string): string {
  const out: string[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      out.push(`<h${level}>${esc(heading[2]!)}</h${level}>`, after(heading[2]!));
    } else if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) {
        rows.push(lines[i]!.slice(1, -1).split(' | ').map((c) => c.trim()));
        i++;
      }
      i--;
      const [head, , ...body] = rows;
      out.push('<table><thead><tr>' + head!.map((c) => `<th>${esc(c)}</th>`).join('') + '</tr></thead><tbody>');
      for (const r of body) out.push('<tr>' + r.map((c) => `<td>${esc(c)}</td>`).join('') + '</tr>');
      out.push('</tbody></table>');
    } else if (line.startsWith('- ')) {
      out.push(`<ul><li>${esc(line.slice(2))}</li></ul>`);
    } else if (line.trim()) {
      out.push(`<p>${esc(line)}</p>`);
    }
  }
  return out.join('\n');
}

function throughputChart(report: Report, phase: 'produce' | 'consume'): string {
  const systems = report.systems.filter((s) => !s.skipped);
  const groups = report.options.sizes.flatMap((size) =>
    report.options.partitions.map((p) => ({
      label: `${sizeLabel(size)} ×${p}`,
      values: systems.map((s) => find(report, s.id, phase, size, p)?.recordsPerSec ?? NaN),
    })),
  );
  return barChart(`${phase} throughput, records/s`, 'records/s', systems.map((s) => s.label), groups);
}

function latencyChart(report: Report): string {
  if (report.latency.length === 0) return '';
  // "Nines" axis: 90 -> 1, 99 -> 2, 99.9 -> 3; the tail gets as much room as the body.
  const nines = (p: number) => (p >= 100 ? NaN : -Math.log10(1 - p / 100));
  const x: Axis = { label: 'percentile', transform: nines, ticks: [50, 90, 99, 99.9, 99.99], tickLabel: (p) => `p${p}` };
  const all = report.latency.flatMap((l) => l.curve.map(([, us]) => us));
  const y: Axis = { label: 'latency (log)', transform: (v) => (v > 0 ? Math.log10(v) : NaN), ticks: logTicks(all), tickLabel: micros };
  return lineChart(
    `single-record end-to-end latency, ${sizeLabel(report.options.latencyValueBytes)}`,
    report.latency.map((l) => ({ name: l.label, points: l.curve.filter(([p]) => p > 0 && p < 100) })),
    x,
    y,
  );
}

function scaleChart(report: Report): string {
  const rows = report.scale?.partitions ?? [];
  if (rows.length === 0) return '';
  const x: Axis = { label: 'partitions (log)', transform: Math.log10, ticks: rows.map((r) => r.partitions), tickLabel: String };
  const values = rows.flatMap((r) => [r.produceRps, r.consumeRps]);
  const y: Axis = { label: 'records/s (log)', transform: (v) => (v > 0 ? Math.log10(v) : NaN), ticks: logTicks(values), tickLabel: (v) => (v >= 1e6 ? `${v / 1e6}M` : `${v / 1e3}k`) };
  return lineChart(
    'Skein records/s as partitions grow (100 B)',
    [
      { name: 'produce', points: rows.map((r) => [r.partitions, r.produceRps]) },
      { name: 'consume', points: rows.map((r) => [r.partitions, r.consumeRps]) },
    ],
    x,
    y,
  );
}

export function renderHtml(report: Report): string {
  const charts = (heading: string): string => {
    if (heading.startsWith('Produce throughput')) return `<figure>${throughputChart(report, 'produce')}</figure>`;
    if (heading.startsWith('Consume throughput')) return `<figure>${throughputChart(report, 'consume')}</figure>`;
    if (heading.startsWith('Single-record end-to-end latency')) return `<figure>${latencyChart(report)}</figure>`;
    if (heading === 'Partitions') return `<figure>${scaleChart(report)}</figure>`;
    return '';
  };
  const settings = report.systems
    .map((s) => `<h3>${esc(s.label)}</h3><table><tbody>${Object.entries(s.settings).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Skein side by side, ${esc(report.machine.date)}</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 1400px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
td:not(:first-child) { white-space: nowrap; }
figure { margin: 0.5em 0; overflow-x: auto; }
ul { margin: 0.2em 0; }
</style></head><body>
${markdownToHtml(renderMarkdown(report), charts)}
<h2>Every setting</h2>
${settings}
</body></html>
`;
}
