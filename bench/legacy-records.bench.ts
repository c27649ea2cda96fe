/**
 * What old clients cost: the conversions of src/protocol/handlers/legacy-records.ts for
 * 1000 records of 100 bytes. Up: a Produce v0–2 message set (magic 0, magic 1, a gzip
 * wrapper) to the RecordBatch v2 the log stores. Down: stored v2 batches (uncompressed, gzip)
 * to the magic 0/1 set a Fetch v0–3 gets. Fetch v4+ sends the stored bytes without any of
 * this work (zero copy).
 *
 * Baseline, same process and run: copying each 100-byte value into a new Buffer, the least a
 * conversion that copies must do per record. Inputs are prepared outside the timed functions.
 * Run: `npx tsc -p tsconfig.json && node out/bench/legacy-records.bench.js` (BENCH_QUICK=1
 * for short runs). Compare ratios, never gate on them.
 */
import { compare, printEnvironment } from './harness.js';
import { compress } from '../src/records/compression/index.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { encodeMessageSet } from '../src/records/message-set.js';
import { batchesToLegacy, legacyToBatch } from '../src/protocol/handlers/legacy-records.js';

const COUNT = 1000;
const VALUE_BYTES = 100;
const MAX_MESSAGE_BYTES = () => 1 << 30;

let sink = 0;
const values = Array.from({ length: COUNT }, (_, i) => Buffer.alloc(VALUE_BYTES, i & 0xff));
const messages = values.map((value, i) => ({ offset: i, key: null, value, timestamp: 1_700_000_000_000 + i }));
const magic0 = encodeMessageSet(messages, 0);
const magic1 = encodeMessageSet(messages, 1);
const gzipWrapper = encodeMessageSet([{ offset: COUNT - 1, compression: 'gzip', key: null, value: compress('gzip', magic1), timestamp: 1_700_000_000_000 }], 1);
const records = values.map((value, i) => ({ value, timestamp: 1_700_000_000_000 + i }));
const stored = [encodeRecordBatch(records, { baseOffset: 0 })];
const storedGzip = [encodeRecordBatch(records, { baseOffset: 0, compression: 'gzip' })];

printEnvironment();
await compare(`legacy message sets, ${COUNT} records of ${VALUE_BYTES} B`, {
  unit: 'records',
  baseline: {
    name: 'baseline: Buffer.from each value',
    unitsPerOp: COUNT,
    fn: () => {
      for (let i = 0; i < values.length; i++) sink += Buffer.from(values[i]!).length;
    },
  },
  tasks: [
    { name: 'up: magic 0 set → v2 batch (Produce v0-1)', unitsPerOp: COUNT, fn: () => (sink += legacyToBatch(magic0, MAX_MESSAGE_BYTES).length) },
    { name: 'up: magic 1 set → v2 batch (Produce v2)', unitsPerOp: COUNT, fn: () => (sink += legacyToBatch(magic1, MAX_MESSAGE_BYTES).length) },
    { name: 'up: magic 1 gzip wrapper → gzip v2 batch', unitsPerOp: COUNT, fn: () => (sink += legacyToBatch(gzipWrapper, MAX_MESSAGE_BYTES).length) },
    { name: 'down: v2 batch → magic 0 (Fetch v0-1)', unitsPerOp: COUNT, fn: () => (sink += batchesToLegacy(stored, 0, 0, 1 << 30).records.length) },
    { name: 'down: v2 batch → magic 1 (Fetch v2-3)', unitsPerOp: COUNT, fn: () => (sink += batchesToLegacy(stored, 1, 0, 1 << 30).records.length) },
    { name: 'down: gzip v2 batch → magic 1', unitsPerOp: COUNT, fn: () => (sink += batchesToLegacy(storedGzip, 1, 0, 1 << 30).records.length) },
  ],
});
if (sink === 0) console.log('(sink)');
