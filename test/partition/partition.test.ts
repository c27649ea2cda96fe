/**
 * src/partition/partition.ts over a real PartitionLog: the append pipeline's events in order,
 * the high watermark (follows the log end on one broker; a separate value the cluster moves,
 * and reads stop below it), idempotent producers (duplicates answered with their offsets,
 * gaps refused, state rebuilt on reopen), and the roll / flush / retention events.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { Partition } from '../../src/partition/partition.js';
import type { PartitionEventMap } from '../../src/partition/types.js';
import { SkeinError } from '../../src/errors.js';
import { encodeRecordBatch, type BatchOptions } from '../../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { within } from '../helpers/timeout.js';

test.after(cleanupTempDirs);

const batch = (values: string[], options: BatchOptions = {}) => encodeRecordBatch(values.map((value) => ({ value })), options);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, String(err));
    return err.code;
  }
  return undefined;
}

async function openPartition(config: Parameters<typeof PartitionLog.open>[1] = {}, dir = join(tempDir(), 'p-0')) {
  const log = await PartitionLog.open(dir, config);
  return { log, partition: new Partition('p', 0, log), dir };
}

test('an append publishes appended, then the high watermark, and returns the offsets', async () => {
  const { log, partition } = await openPartition();
  const seen: Array<[string, unknown]> = [];
  partition.on('appended', (e) => seen.push(['appended', e]));
  partition.on('highWatermark', (e) => seen.push(['highWatermark', e]));
  const two = batch(['a', 'b']);
  const { result } = partition.produceNow(two, 1);
  assert.equal(result, { baseOffset: 0, lastOffset: 1, logAppendTime: -1, logStartOffset: 0 });
  assert.equal(seen, [
    ['appended', { baseOffset: 0, lastOffset: 1, records: 2, bytes: two.length }],
    ['highWatermark', { highWatermark: 2, previous: 0 }],
  ]);
  assert.is(partition.highWatermark, 2);
  assert.is(partition.logEndOffset, 2);
  await log.close();
});

test('with followLogEnd off, reads and ListOffsets stop at the high watermark the cluster sets', async () => {
  const { log, partition } = await openPartition();
  partition.followLogEnd = false;
  partition.produceNow(batch(['a']), 1);
  partition.produceNow(batch(['b']), 1);
  partition.produceNow(batch(['c']), 1);
  assert.is(partition.logEndOffset, 3);
  assert.is(partition.highWatermark, 0);
  assert.is(partition.read(0, 1 << 20, true).bytes, 0, 'nothing below the high watermark yet');
  assert.is(partition.listOffsets(-1).offset, 0);

  const moves: Array<PartitionEventMap['highWatermark']> = [];
  partition.on('highWatermark', (e) => moves.push(e));
  partition.setHighWatermark(2);
  const read = partition.read(0, 1 << 20, true);
  const offsets = read.records.flatMap((view) => [...iterateBatches(view)].flatMap((b) => [...iterateRecords(b)].map((r) => r.offset)));
  assert.equal(offsets, [0, 1], 'offsets 0 and 1, not 2');
  assert.is(read.highWatermark, 2);
  assert.is(partition.listOffsets(-1).offset, 2);
  assert.equal(partition.offsets(), { logStartOffset: 0, highWatermark: 2 });

  partition.setHighWatermark(1);
  assert.is(partition.highWatermark, 2, 'never moves back');
  partition.setHighWatermark(99);
  assert.is(partition.highWatermark, 3, 'never past the log end');
  assert.equal(moves, [
    { highWatermark: 2, previous: 0 },
    { highWatermark: 3, previous: 2 },
  ]);
  assert.is(codeOf(() => partition.setHighWatermark(Number.NaN)), 'SKEIN_INVALID_ARGUMENT');
  await log.close();
});

test('idempotent producer: a repeat gets its original offsets and is not written; a gap is refused', async () => {
  const { log, partition, dir } = await openPartition();
  const appended: number[] = [];
  partition.on('appended', (e) => appended.push(e.baseOffset));
  const first = batch(['a', 'b'], { producerId: 7, producerEpoch: 0, baseSequence: 0 });
  assert.is(partition.produceNow(first, -1).result.baseOffset, 0);
  assert.is(partition.produceNow(batch(['c'], { producerId: 7, producerEpoch: 0, baseSequence: 2 }), -1).result.baseOffset, 2);
  const repeat = partition.produceNow(first, -1);
  assert.equal([repeat.result.baseOffset, repeat.result.lastOffset], [0, 1]);
  assert.is(repeat.durable, undefined);
  assert.is(partition.logEndOffset, 3, 'the repeat was written nowhere');
  assert.equal(appended, [0, 2], 'and published nothing');
  assert.is(codeOf(() => partition.produceNow(batch(['x'], { producerId: 7, producerEpoch: 0, baseSequence: 9 }), -1)), 'SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER');
  assert.is(codeOf(() => partition.produceNow(batch(['x']), 2 as never)), 'SKEIN_INVALID_REQUIRED_ACKS');
  assert.is(partition.logEndOffset, 3);
  await log.close();

  // The state is rebuilt from the log on reopen: the same repeat is still recognised.
  const again = await openPartition({}, dir);
  const after = again.partition.produceNow(first, -1);
  assert.equal([after.result.baseOffset, after.result.lastOffset], [0, 1]);
  assert.is(again.partition.logEndOffset, 3);
  assert.is(again.partition.highWatermark, 3, 'a reopened partition starts with its high watermark at the log end');
  await again.log.close();
});

test('flushed, segmentRolled and segmentsDeleted are published by the log below', async () => {
  const { log, partition } = await openPartition({ config: { flushMessages: 1, segmentBytes: 4096 } });
  const seen: string[] = [];
  partition.on('flushed', () => seen.push('flushed'));
  partition.on('segmentRolled', (e) => seen.push(`rolled@${e.baseOffset}`));
  partition.on('segmentsDeleted', (e) => seen.push(`deleted ${e.deletedSegments} start ${e.logStartOffset}`));
  await within(5000, partition.produce(batch(['x'.repeat(100)]), -1));
  assert.ok(seen.includes('flushed'), 'acks -1 under flush.messages=1 flushes');
  for (let i = 0; i < 60; i++) await within(5000, partition.produce(batch(['y'.repeat(100)]), 1));
  assert.ok(seen.some((s) => s.startsWith('rolled@')), seen.join(','));
  const hwBefore = partition.highWatermark;
  log.updateConfig({ retentionBytes: 1 });
  const deleted = partition.applyRetention();
  assert.ok(deleted > 0);
  assert.ok(seen.some((s) => s.startsWith('deleted ')), seen.join(','));
  assert.is(partition.highWatermark, hwBefore, 'retention leaves the high watermark alone');
  assert.ok(partition.logStartOffset > 0);
  await log.close();
});

test('a listener that throws does not fail the append; unsubscribe stops delivery', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p-0'));
  const warnings: string[] = [];
  const partition = new Partition('p', 0, log, { onWarning: (m) => warnings.push(m) });
  const off = partition.on('appended', () => {
    throw new Error('listener bug');
  });
  let calls = 0;
  partition.on('appended', () => calls++);
  assert.is(partition.produceNow(batch(['a']), 1).result.baseOffset, 0);
  assert.is(calls, 1);
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /listener bug/);
  off();
  partition.produceNow(batch(['b']), 1);
  assert.is(warnings.length, 1);
  assert.is(calls, 2);
  await log.close();
});

test.run();
