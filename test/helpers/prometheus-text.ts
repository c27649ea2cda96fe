/**
 * A parser of the Prometheus text exposition format (version 0.0.4), strict enough to catch
 * what scrapers reject: every sample line is `name{label="value",...} number`, names and
 * label names match Prometheus's grammar, label values use only the \\ \" \n escapes, each
 * metric family has one # TYPE line before its samples, and counters end in _total.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** Sum of the samples named `name` whose labels include `match`. */
  sum(name: string, match?: Record<string, string>): number;
  /** The one sample named `name` with exactly these labels (undefined if none). */
  get(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    const eq = text.indexOf('=', at);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(at, eq).trim();
    if (!LABEL.test(name)) throw new Error(`bad label name "${name}" in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`label value not quoted in: ${line}`);
    let value = '';
    let i = eq + 2;
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\') {
        const next = text[++i];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape \\${next} in: ${line}`);
      } else value += text[i];
    }
    if (text[i] !== '"') throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    at = i + 1;
    if (text[at] === ',') at++;
  }
  return labels;
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix) && types.has(name.slice(0, -suffix.length))) return name.slice(0, -suffix.length);
  }
  return undefined;
}

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) throw new Error(`bad comment line: ${line}`);
      if (!NAME.test(m[2]!)) throw new Error(`bad metric name: ${m[2]}`);
      if (m[1] === 'TYPE') {
        if (types.has(m[2]!)) throw new Error(`two TYPE lines for ${m[2]}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!)) throw new Error(`bad type: ${line}`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    // NaN in any case: prom-client writes `Nan` (a gauge read before its first sample, such as
    // the event-loop delay right after start), which Prometheus's parser (Go ParseFloat) accepts.
    const isNaNText = /^nan$/i.test(m[3]!);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : isNaNText ? NaN : Number(m[3]);
    if (Number.isNaN(value) && !isNaNText) throw new Error(`bad value in: ${line}`);
    const family = familyOf(m[1]!, types);
    if (!family) throw new Error(`sample before its TYPE line: ${line}`);
    if (types.get(family) === 'counter' && !family.endsWith('_total')) throw new Error(`counter ${family} does not end in _total`);
    samples.push({ name: m[1]!, labels: m[2] ? parseLabels(m[2], line) : {}, value });
  }
  const matches = (labels: Record<string, string>, match: Record<string, string>) => Object.entries(match).every(([k, v]) => labels[k] === v);
  return {
    types,
    samples,
    sum: (name, match = {}) => samples.filter((s) => s.name === name && matches(s.labels, match)).reduce((n, s) => n + s.value, 0),
    get: (name, labels = {}) =>
      samples.find((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && matches(s.labels, labels))?.value,
  };
}
