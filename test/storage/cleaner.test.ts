/**
 * The log cleaner against a model: random keys, tombstones and idempotent producers, appended
 * over many small segments, compacted (inline and on the worker thread), reopened, compacted
 * again. After each pass the log holds, for the cleaned range, exactly the last record of each
 * key (minus tombstones past delete.retention.ms), everything after it untouched, every record
 * at its original offset, and each producer's last batch with its sequence. Also: the active
 * segment is never cleaned, min.cleanable.dirty.ratio and min.compaction.lag.ms hold it back,
 * and views taken before a pass stay readable after it. Batches are randomly compressed with
 * each codec: the cleaner decompresses them, drops superseded records, and writes what stays
 * back with the batch's codec.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';
import { iterateBatches } from '../../src/records/record-iterator.js';
import type { CompressionName } from '../../src/records/batch-header.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const T0 = 1_700_000_000_000;
const RETENTION = 60_000;
const CONFIG = { segmentMs: Infinity, segmentBytes: 2048, preallocateBytes: 4096, minCleanableDirtyRatio: 0.5, deleteRetentionMs: RETENTION, indexIntervalBytes: 256 };

interface Op {
  key: number;
  /** null: tombstone. */
  value: string | null;
  /** -1: not idempotent. */
  producer: number;
  batchSize: number;
  roll: boolean;
  compression: CompressionName;
}

interface ModelRecord {
  offset: number;
  key: string;
  value: string | null;
}

interface LogRecord extends ModelRecord {}

interface BatchView {
  baseOffset: number;
  lastOffset: number;
  producerId: number;
  baseSequence: number;
  compression: CompressionName;
  records: LogRecord[];
}

function readAll(log: PartitionLog): BatchView[] {
  const out: BatchView[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, { maxBytes: 64 * 1024 });
    if (read.views.length === 0) break;
    for (const view of read.views) {
      for (const batch of iterateBatches(view)) {
        const d = decodeRecordBatch(batch);
        if (d.lastOffset < offset) continue;
        out.push({
          baseOffset: d.baseOffset,
          lastOffset: d.lastOffset,
          producerId: d.producerId,
          baseSequence: d.baseSequence,
          compression: d.compression,
          records: d.records.map((r) => ({ offset: r.offset, key: r.key!.toString(), value: r.value === null ? null : r.value.toString() })),
        });
      }
    }
    offset = read.nextOffset;
  }
  return out;
}

/** Appends `ops`; returns every record written (offsets as assigned) and each producer's last batch. */
async function appendOps(
  log: PartitionLog,
  ops: Op[],
): Promise<{ records: ModelRecord[]; producers: Map<number, { lastOffset: number; baseSequence: number }>; codecs: Map<number, CompressionName> }> {
  const records: ModelRecord[] = [];
  const codecs = new Map<number, CompressionName>();
  const producers = new Map<number, { lastOffset: number; baseSequence: number }>();
  const sequences = new Map<number, number>();
  let i = 0;
  for (const op of ops) {
    const batch = Array.from({ length: op.batchSize }, (_, j) => ({
      key: `k${(op.key + j * 3) % 12}`,
      value: j === op.batchSize - 1 ? op.value : `${op.value ?? 'v'}-${i}-${j}`,
      timestamp: T0 + i,
    }));
    const baseSequence = sequences.get(op.producer) ?? 0;
    const compression = op.compression === 'none' ? {} : { compression: op.compression };
    const bytes = encodeRecordBatch(batch, op.producer >= 0 ? { producerId: op.producer, producerEpoch: 0, baseSequence, ...compression } : compression);
    const result = await log.append(bytes);
    codecs.set(result.baseOffset, op.compression);
    batch.forEach((r, j) => records.push({ offset: result.baseOffset + j, key: r.key, value: r.value }));
    if (op.producer >= 0) {
      sequences.set(op.producer, baseSequence + op.batchSize);
      producers.set(op.producer, { lastOffset: result.lastOffset, baseSequence });
    }
    if (op.roll) log.roll();
    i += 1;
  }
  return { records, producers, codecs };
}

/** What must remain: below `cleanedUpTo` the last record per key (tombstones past retention gone), the rest as written. */
function expected(records: ModelRecord[], cleanedUpTo: number, now: number): ModelRecord[] {
  const last = new Map<string, number>();
  for (const r of records) if (r.offset < cleanedUpTo) last.set(r.key, r.offset);
  const tombstoneExpired = (r: ModelRecord) => T0 + (r.offset - records[0]!.offset) + RETENTION <= now;
  return records.filter((r) => {
    if (r.offset >= cleanedUpTo) return true;
    if (last.get(r.key) !== r.offset) return false;
    return !(r.value === null && tombstoneExpired(r));
  });
}

const opArb = fc.record({
  key: fc.integer({ min: 0, max: 11 }),
  value: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { freq: 5 }),
  producer: fc.integer({ min: -1, max: 2 }),
  batchSize: fc.integer({ min: 1, max: 4 }),
  roll: fc.boolean(),
  compression: fc.constantFrom<CompressionName>('none', 'none', 'gzip', 'snappy', 'lz4', 'zstd'),
});

test('property: after cleaning, the cleaned range holds the last record of each key at its offset, and nothing else', async () => {
  let round = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 80 }), fc.boolean(), fc.boolean(), async (ops, expire, inline) => {
      const dir = join(tempDir(), `log-${round++}`);
      let log = await PartitionLog.open(dir, { config: CONFIG });
      try {
        const { records, producers, codecs } = await appendOps(log, ops);
        // Timestamps are T0 + op index; with `expire` the clock is past every tombstone's retention.
        const now = expire ? T0 + 10 * RETENTION : T0;
        const activeBase = log.activeSegmentBaseOffset;
        const result = await log.compact({ force: true, now, inline });
        const cleanedUpTo = result.cleaned ? result.firstDirtyOffset : 0;
        if (result.cleaned) assert.is(cleanedUpTo, activeBase, 'everything before the active segment was cleaned');
        else assert.is(result.reason, 'nothing-dirty');

        const check = (batches: BatchView[], what: string) => {
          const got = batches.flatMap((b) => b.records);
          // Tombstones in batches: offsets in order, but the model's tombstone timestamp is by op index,
          // so compare through the model built with the same clock.
          const want = expected(records, cleanedUpTo, now).map((r) => ({ ...r }));
          assert.equal(got, want, what);
          // A batch that keeps records keeps its codec (an empty one is written uncompressed, as Kafka does).
          for (const b of batches) {
            if (b.records.length > 0) assert.is(b.compression, codecs.get(b.baseOffset), `${what}: codec of the batch at ${b.baseOffset}`);
          }
          for (const [pid, last] of producers) {
            const mine = batches.filter((b) => b.producerId === pid);
            const final = mine[mine.length - 1];
            assert.ok(final, `${what}: producer ${pid} keeps a batch`);
            assert.is(final!.lastOffset, last.lastOffset, `${what}: producer ${pid}'s last offset`);
            assert.is(final!.baseSequence, last.baseSequence, `${what}: producer ${pid}'s last sequence`);
          }
          // Every key's latest record of the whole log is there, at its offset.
          const latest = new Map<string, ModelRecord>();
          for (const r of records) latest.set(r.key, r);
          for (const r of latest.values()) {
            if (r.value === null && expire && r.offset < cleanedUpTo) continue;
            assert.ok(got.some((g) => g.offset === r.offset && g.key === r.key && g.value === r.value), `${what}: latest of ${r.key}`);
          }
        };
        check(readAll(log), 'after compaction');
        assert.is(log.logEndOffset, records[records.length - 1]!.offset + 1, 'the log end does not move');

        await log.close();
        log = await PartitionLog.open(dir, { config: CONFIG });
        check(readAll(log), 'after reopen');
        assert.ok(!readdirSync(dir).some((n) => n.endsWith('.cleaned') || n.endsWith('.swap')), 'no temporary files left');
        // A second pass finds nothing new to do and changes nothing.
        const again = await log.compact({ force: true, now, inline: true });
        assert.is(again.cleaned, false);
        check(readAll(log), 'after a second pass');
        const more = await log.append(encodeRecordBatch([{ key: 'k0', value: 'after', timestamp: T0 }]));
        assert.is(more.baseOffset, records[records.length - 1]!.offset + 1, 'appends go on at the log end');
      } finally {
        await log.close();
      }
    }),
    { numRuns: 40, interruptAfterTimeLimit: 60_000 },
  );
});

/** Every batch of the log, raw and decoded. */
function rawBatches(log: PartitionLog): Array<{ bytes: Buffer; decoded: ReturnType<typeof decodeRecordBatch> }> {
  const read = log.read(log.logStartOffset, { maxBytes: 1 << 22 });
  return read.views.flatMap((v) => [...iterateBatches(v)].map((b) => ({ bytes: Buffer.from(b), decoded: decodeRecordBatch(b) })));
}

for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`a ${codec} batch is rewritten with its codec, header and offsets; an idempotent producer's emptied last batch stays`, async () => {
    const dir = join(tempDir(), 'log');
    const log = await PartitionLog.open(dir, { config: { ...CONFIG, segmentBytes: 1 << 20 } });
    try {
      const at = (key: string, value: string, i: number) => ({ key, value, timestamp: T0 + i });
      const producer = { producerId: 7, producerEpoch: 3, compression: codec };
      await log.append(encodeRecordBatch([at('a', 'a0', 0), at('c', 'c1', 1), at('a', 'a2', 2), at('d', 'd3', 3)], { ...producer, baseSequence: 0 }));
      await log.append(encodeRecordBatch([at('a', 'a4', 4), at('b', 'b5', 5)], { ...producer, baseSequence: 4 }));
      await log.append(encodeRecordBatch([at('a', 'a6', 6), at('b', 'b7', 7)]));
      log.roll();
      const before = rawBatches(log).map((b) => b.decoded);
      const result = await log.compact({ force: true, now: T0 });
      assert.ok(result.cleaned);
      const after = rawBatches(log).map((b) => b.decoded);
      assert.equal(after.map((b) => b.records.map((r) => `${r.offset}:${r.key}=${r.value}`)), [['1:c=c1', '3:d=d3'], [], ['6:a=a6', '7:b=b7']]);
      const [first, emptied] = after as [(typeof after)[0], (typeof after)[0]];
      assert.is(first.compression, codec, 'the rewritten batch keeps its codec');
      assert.is(emptied.compression, 'none', 'an empty batch has nothing to compress');
      for (const [i, b] of [first, emptied].entries()) {
        const old = before[i]!;
        for (const field of ['baseOffset', 'lastOffsetDelta', 'partitionLeaderEpoch', 'baseTimestamp', 'maxTimestamp', 'producerId', 'producerEpoch', 'baseSequence', 'timestampType'] as const) {
          assert.is(b[field], old[field], `batch ${i}: ${field}`);
        }
      }
      assert.is(log.logEndOffset, 8);
    } finally {
      await log.close();
    }
  });
}

test('a compressed batch whose records would decompress past max.message.bytes is copied whole, and nothing it supersedes is removed', async () => {
  const dir = join(tempDir(), 'log');
  const log = await PartitionLog.open(dir, { config: { ...CONFIG, segmentBytes: 1 << 20 } });
  try {
    await log.append(encodeRecordBatch([{ key: 'x', value: 'x0', timestamp: T0 }]));
    const big = 'z'.repeat(100_000);
    await log.append(encodeRecordBatch([{ key: 'y', value: big, timestamp: T0 }, { key: 'x', value: 'x2', timestamp: T0 }, { key: 'y', value: 'y3', timestamp: T0 }], { compression: 'gzip' }));
    await log.append(encodeRecordBatch([{ key: 'w', value: 'w4', timestamp: T0 }, { key: 'w', value: 'w5', timestamp: T0 }]));
    log.roll();
    const bigBatch = rawBatches(log)[1]!.bytes;
    assert.ok(bigBatch.length < 10_000, 'gzip shrinks the batch below the cap');
    log.updateConfig({ maxMessageBytes: 10_000 });
    const result = await log.compact({ force: true, now: T0 });
    assert.ok(result.cleaned);
    const after = rawBatches(log);
    assert.ok(after.some((b) => b.bytes.equals(bigBatch)), 'the oversized batch is unchanged');
    // Its keys were not mapped: x0 (superseded by x2 inside it) stays; the plain batch is still cleaned.
    assert.equal(after.flatMap((b) => b.decoded.records.map((r) => `${r.offset}:${r.key}`)), ['0:x', '1:y', '2:x', '3:y', '5:w']);
  } finally {
    await log.close();
  }
});

test('the active segment is never cleaned; dirty ratio and min.compaction.lag.ms hold cleaning back', async () => {
  const dir = join(tempDir(), 'log');
  const log = await PartitionLog.open(dir, { config: { ...CONFIG, segmentBytes: 1 << 20 } });
  try {
    for (let i = 0; i < 50; i++) await log.append(encodeRecordBatch([{ key: 'same', value: `v${i}`, timestamp: T0 + i }]));
    let result = await log.compact({ force: true, now: T0 });
    assert.is(result.reason, 'nothing-dirty', 'one active segment: nothing to clean');
    assert.is(readAll(log).flatMap((b) => b.records).length, 50);
    log.roll();
    for (let i = 0; i < 5; i++) await log.append(encodeRecordBatch([{ key: 'same', value: `w${i}`, timestamp: T0 + 100 + i }]));
    log.updateConfig({ minCompactionLagMs: 1000 });
    result = await log.compact({ force: true, now: T0 + 500 });
    assert.is(result.reason, 'nothing-dirty', 'the sealed segment is younger than the lag');
    log.updateConfig({ minCompactionLagMs: 0, minCleanableDirtyRatio: 1 });
    result = await log.compact({ now: T0 });
    assert.is(result.cleaned, true, 'a never-cleaned log is all dirty (ratio 1)');
    assert.equal(readAll(log).flatMap((b) => b.records).map((r) => r.value), ['v49', 'w0', 'w1', 'w2', 'w3', 'w4']);
    log.roll();
    await log.append(encodeRecordBatch([{ key: 'same', value: 'x', timestamp: T0 }]));
    result = await log.compact({ now: T0 });
    assert.is(result.reason, 'below-dirty-ratio');
    assert.ok(result.dirtyRatio > 0 && result.dirtyRatio < 1);
  } finally {
    await log.close();
  }
});

test('views taken before a pass stay readable after it; readers continue across the new segments', async () => {
  const dir = join(tempDir(), 'log');
  const log = await PartitionLog.open(dir, { config: CONFIG });
  try {
    for (let i = 0; i < 200; i++) await log.append(encodeRecordBatch([{ key: `k${i % 5}`, value: `value-${i}`.padEnd(40, '.'), timestamp: T0 }]));
    log.roll();
    const before = log.read(0, { maxBytes: 1 << 20 });
    const copies = before.views.map((v) => Buffer.from(v));
    const midway = log.read(100, { maxBytes: 300 });
    const result = await log.compact({ force: true, now: T0 });
    assert.ok(result.cleaned);
    assert.ok(result.bytesAfter < result.bytesBefore / 10, `${result.bytesAfter} < ${result.bytesBefore} / 10`);
    before.views.forEach((v, i) => assert.ok(v.equals(copies[i]!), 'old views keep their bytes'));
    for (const v of before.views) for (const b of iterateBatches(v)) decodeRecordBatch(b);
    // A reader that was at offset `midway.nextOffset` goes on from there in the cleaned log.
    const rest = log.read(midway.nextOffset, { maxBytes: 1 << 20 });
    const offsets = rest.views.flatMap((v) => [...iterateBatches(v)].flatMap((b) => decodeRecordBatch(b).records.map((r) => r.offset)));
    assert.equal(offsets, [195, 196, 197, 198, 199]);
    assert.is(log.logStartOffset, 0);
    assert.equal(log.read(0).firstOffset >= 0, true);
  } finally {
    await log.close();
  }
});

test.run();
