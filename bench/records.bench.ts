/**
 * Throughput of the RecordBatch v2 codec (src/records/), in records per second, for
 * batches of 1, 10, 100 and 1000 records with 100-byte values.
 *
 * Baseline, measured in the same process and run: a plain JS loop that copies each
 * 100-byte value into a new Buffer (Buffer.from), i.e. the least any encoder or copying
 * decoder must do per record. Every task prints its records/s and its ratio to the
 * baseline of the same batch size. Inputs (records, encoded batches) are prepared outside
 * the timed functions. Run: `npx tsc -p tsconfig.json && node out/bench/records.bench.js`
 * (`--quick` for short runs). Figures vary by machine: compare ratios, never gate on them.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Bench } from 'tinybench';
import { encodeRecordBatch, type RecordInput } from '../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../src/records/decode-record-batch.js';
import { iterateRecords } from '../src/records/record-iterator.js';

const SIZES = [1, 10, 100, 1000];
const VALUE_BYTES = 100;
const quick = process.argv.includes('--quick');

/** Keeps results observable so the JIT cannot drop the work. */
let sink = 0;

interface Scenario {
  size: number;
  records: RecordInput[];
  values: Buffer[];
  batch: Buffer;
}

const scenarios: Scenario[] = SIZES.map((size) => {
  const values = Array.from({ length: size }, (_, i) => Buffer.alloc(VALUE_BYTES, i & 0xff));
  const records = values.map((value, i) => ({ value, timestamp: 1_700_000_000_000 + i }));
  return { size, records, values, batch: encodeRecordBatch(records) };
});

type Kind = 'baseline: Buffer.from each value' | 'encodeRecordBatch' | 'decodeRecordBatch' | 'iterateRecords';
const KINDS: Kind[] = ['baseline: Buffer.from each value', 'encodeRecordBatch', 'decodeRecordBatch', 'iterateRecords'];

function taskFor(kind: Kind, s: Scenario): () => void {
  switch (kind) {
    case 'baseline: Buffer.from each value':
      return () => {
        const values = s.values;
        for (let i = 0; i < values.length; i++) sink += Buffer.from(values[i]).length;
      };
    case 'encodeRecordBatch':
      return () => {
        sink += encodeRecordBatch(s.records).length;
      };
    case 'decodeRecordBatch':
      return () => {
        sink += decodeRecordBatch(s.batch).records.length;
      };
    case 'iterateRecords':
      return () => {
        for (const record of iterateRecords(s.batch)) sink += record.value!.length;
      };
  }
}

/** Mean time per operation in ms, read defensively: tinybench's result fields changed between majors. */
function periodMs(result: unknown): number | null {
  const r = result as { state?: string; period?: number; latency?: { mean?: number }; error?: unknown } | undefined;
  if (r === undefined) return null;
  if (r.state !== undefined && r.state !== 'completed') {
    if (r.error !== undefined) console.error(r.error);
    return null;
  }
  const period = typeof r.period === 'number' ? r.period : r.latency?.mean;
  return typeof period === 'number' && period > 0 ? period : null;
}

function tinybenchVersion(): string {
  try {
    const url = new URL('../../node_modules/tinybench/package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const bench = new Bench({ time: quick ? 100 : 700, warmupTime: quick ? 50 : 200 });
const names = new Map<string, { kind: Kind; size: number }>();
for (const s of scenarios) {
  for (const kind of KINDS) {
    const name = `${kind} ×${s.size}`;
    names.set(name, { kind, size: s.size });
    bench.add(name, taskFor(kind, s));
  }
}

console.log(
  `records.bench: node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ` +
    `tinybench ${tinybenchVersion()}, ${VALUE_BYTES}-byte values, batch bytes: ` +
    scenarios.map((s) => `${s.size}→${s.batch.length}`).join(' '),
);
await bench.run();

const rate = new Map<string, number>();
for (const task of bench.tasks) {
  const period = periodMs(task.result);
  const meta = names.get(task.name)!;
  if (period !== null) rate.set(task.name, (meta.size * 1000) / period);
}

const rows: string[][] = [['task', 'records/batch', 'records/s', 'vs baseline']];
for (const s of scenarios) {
  const baseline = rate.get(`${KINDS[0]} ×${s.size}`);
  for (const kind of KINDS) {
    const name = `${kind} ×${s.size}`;
    const r = rate.get(name);
    rows.push([
      kind,
      String(s.size),
      r === undefined ? 'failed' : Math.round(r).toLocaleString('en-US'),
      r === undefined || baseline === undefined ? '-' : `${(r / baseline).toFixed(2)}×`,
    ]);
  }
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
if (sink === 42) console.log(''); // keep `sink` alive
