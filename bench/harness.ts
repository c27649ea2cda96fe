/**
 * The benchmark harness: every figure is printed next to its ratio to a baseline measured in
 * the same process and run, because these machines are noisy and absolute numbers mislead.
 *
 * Two ways to measure:
 *  - `compare()` wraps tinybench for operations that take microseconds: each task is called
 *    repeatedly; its mean time per call gives ops/s, times `unitsPerOp` gives records/s or bytes/s.
 *  - `timeLoop()` for whole passes (consume a million records): runs a function that reports
 *    how many units it processed, until a minimum time has passed.
 * Inputs are prepared by the caller outside the timed functions. BENCH_QUICK=1 shortens runs.
 */
import { Bench } from 'tinybench';
import { cpus, totalmem, platform, release } from 'node:os';
import { readFileSync } from 'node:fs';

export const QUICK = process.env.BENCH_QUICK === '1';

export interface TaskSpec {
  name: string;
  fn: () => unknown | Promise<unknown>;
  /** Units (records, bytes) one call handles. */
  unitsPerOp: number;
  /** Runs before measuring (not timed), e.g. to open a fresh log. */
  setup?: () => unknown | Promise<unknown>;
}

export interface CompareOptions {
  /** Name of the unit counted by unitsPerOp: 'records' or 'bytes'. */
  unit: 'records' | 'bytes';
  baseline: TaskSpec;
  tasks: TaskSpec[];
  /** Milliseconds per task (default 1000, quick 200). */
  timeMs?: number;
}

export interface Measured {
  name: string;
  opsPerSec: number;
  unitsPerSec: number;
  ratio: number;
}

/** ops/s from a tinybench task whatever the major version (result fields moved between majors). */
function opsPerSecond(result: unknown): number {
  const r = result as Record<string, unknown> | undefined;
  if (!r) return NaN;
  if (typeof r.period === 'number' && r.period > 0) return 1000 / r.period;
  const latency = r.latency as { mean?: number } | undefined;
  if (latency && typeof latency.mean === 'number' && latency.mean > 0) return 1000 / latency.mean;
  if (typeof r.mean === 'number' && r.mean > 0) return 1000 / r.mean;
  if (typeof r.hz === 'number') return r.hz;
  return NaN;
}

export function formatRate(value: number, unit: 'records' | 'bytes'): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'bytes') {
    if (value >= 1e9) return `${(value / 1e9).toFixed(2)} GB/s`;
    return `${(value / 1e6).toFixed(1)} MB/s`;
  }
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M records/s`;
  return `${(value / 1e3).toFixed(1)} k records/s`;
}

export async function compare(title: string, options: CompareOptions): Promise<Measured[]> {
  const timeMs = options.timeMs ?? (QUICK ? 200 : 1000);
  const specs = [options.baseline, ...options.tasks];
  const measured: Measured[] = [];
  for (const spec of specs) {
    // One Bench per task so each gets its own setup and nothing is shared by accident.
    if (spec.setup) await spec.setup();
    const bench = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs / 4) });
    bench.add(spec.name, spec.fn);
    await bench.run();
    const ops = opsPerSecond(bench.tasks[0]!.result);
    measured.push({ name: spec.name, opsPerSec: ops, unitsPerSec: ops * spec.unitsPerOp, ratio: NaN });
  }
  const base = measured[0]!.unitsPerSec;
  for (const m of measured) m.ratio = m.unitsPerSec / base;
  printTable(title, measured, options.unit, options.baseline.name);
  return measured;
}

/** Runs `pass` (which returns units processed) repeatedly for at least `minMs`; units/s. */
export async function timeLoop(pass: () => number | Promise<number>, minMs = QUICK ? 200 : 1000): Promise<number> {
  await pass(); // warm-up, not counted
  let units = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  do {
    units += await pass();
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsedMs < minMs);
  return (units * 1000) / elapsedMs;
}

export function printTable(title: string, rows: Measured[], unit: 'records' | 'bytes', baselineName: string): void {
  console.log(`\n## ${title}`);
  console.log(`| task | rate | ops/s | ratio to ${baselineName} |`);
  console.log('| --- | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(`| ${row.name} | ${formatRate(row.unitsPerSec, unit)} | ${Math.round(row.opsPerSec).toLocaleString('en-US')} | ${row.ratio.toFixed(2)}x |`);
  }
}

export function printEnvironment(): void {
  const cpu = cpus()[0];
  let tinybenchVersion = 'unknown';
  try {
    const pkg = new URL('../../node_modules/tinybench/package.json', import.meta.url);
    tinybenchVersion = JSON.parse(readFileSync(pkg, 'utf8')).version;
  } catch {
    // Version is informative only.
  }
  console.log(
    `node ${process.version}, ${platform()} ${release()}, ${cpu?.model ?? 'cpu?'} x${cpus().length}, ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB, tinybench ${tinybenchVersion}${QUICK ? ', quick run' : ''}`,
  );
}
