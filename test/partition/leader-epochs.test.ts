/**
 * Leader epochs in src/partition/partition.ts over real logs and real checkpoint files:
 * stamping of partitionLeaderEpoch in every appended batch (read back from the segment), the
 * `leader-epoch-checkpoint` file (Kafka's text format), endOffsetForEpoch with Kafka's
 * semantics, becomeLeader / becomeFollower, KIP-320 fencing, appendAsFollower (offsets and
 * epochs kept), truncation of a diverged tail (log, epochs, producer state, high watermark),
 * truncateFullyAndStartAt, and rebuilding the checkpoint when it is missing or damaged,
 * including a folder written before epochs were stamped.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { Partition } from '../../src/partition/partition.js';
import { SkeinError } from '../../src/errors.js';
import { encodeRecordBatch, type BatchOptions } from '../../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';
import { readPartitionLeaderEpoch, readBaseOffset } from '../../src/records/batch-header.js';
import type { PartitionEventMap } from '../../src/partition/types.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

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

async function open(dir = join(tempDir(), 't-0'), warnings: string[] = []) {
  const log = await PartitionLog.open(dir);
  const partition = new Partition('t', 0, log, { onWarning: (m) => warnings.push(m) });
  return { log, partition, dir, warnings };
}

/** [baseOffset, partitionLeaderEpoch] of every batch on disk from `from`. */
function stamps(log: PartitionLog, from = 0): Array<[number, number]> {
  return [...log.batchesFrom(from)].map((b) => [readBaseOffset(b, 0), readPartitionLeaderEpoch(b, 0)]);
}

function values(log: PartitionLog): string[] {
  const out: string[] = [];
  for (const b of log.batchesFrom(log.logStartOffset)) for (const r of iterateRecords(b)) out.push(`${r.offset}:${r.value?.toString()}`);
  return out;
}

/** Every batch of `log` from `from` on, concatenated (what a follower fetches). */
function fetchAll(log: PartitionLog, from: number): Buffer {
  return Buffer.concat([...log.batchesFrom(from)].map((b) => Buffer.from(b)));
}

test('one broker: every batch is stamped with epoch 0, the checkpoint holds (0, 0) in Kafka format', async () => {
  const { log, partition, dir } = await open();
  partition.produceNow(batch(['a', 'b'], { partitionLeaderEpoch: 7 }), 1);
  partition.produceNow(batch(['c']), 1);
  assert.equal(stamps(log), [
    [0, 0],
    [2, 0],
  ]);
  assert.equal(partition.epochEntries, [{ epoch: 0, startOffset: 0 }]);
  assert.is(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n1\n0 0\n');
  // The stamped batches still pass their CRC (the field lies outside it): a reopen rescans them.
  await log.close();
  const again = await open(dir);
  assert.equal(values(again.log), ['0:a', '1:b', '2:c']);
  assert.equal(again.partition.endOffsetForEpoch(0), { leaderEpoch: 0, endOffset: 3 });
  await again.log.close();
});

test('becomeLeader starts the epoch at the log end; endOffsetForEpoch answers as Kafka', async () => {
  const { log, partition, dir } = await open();
  partition.produceNow(batch(['a', 'b']), 1); // epoch 0: 0..1
  partition.becomeLeader(3); // epoch 3 starts at 2, recorded before any append
  assert.equal(partition.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 2 });
  partition.produceNow(batch(['c']), 1);
  partition.becomeLeader(5);
  partition.produceNow(batch(['d', 'e']), 1);
  assert.equal(stamps(log), [
    [0, 0],
    [2, 3],
    [3, 5],
  ]);
  assert.is(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n3\n0 0\n3 2\n5 3\n');
  assert.equal(partition.endOffsetForEpoch(0), { leaderEpoch: 0, endOffset: 2 });
  assert.equal(partition.endOffsetForEpoch(2), { leaderEpoch: 0, endOffset: 2 }, 'an unknown epoch between: the largest known below it');
  assert.equal(partition.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 3 });
  assert.equal(partition.endOffsetForEpoch(4), { leaderEpoch: 3, endOffset: 3 });
  assert.equal(partition.endOffsetForEpoch(5), { leaderEpoch: 5, endOffset: 5 }, 'the latest epoch ends at the log end');
  assert.equal(partition.endOffsetForEpoch(6), { leaderEpoch: -1, endOffset: -1 });
  assert.equal(partition.endOffsetForEpoch(-1), { leaderEpoch: -1, endOffset: -1 });
  assert.is(codeOf(() => partition.becomeLeader(4)), 'SKEIN_FENCED_LEADER_EPOCH');
  partition.becomeLeader(5); // the same epoch again: nothing changes
  assert.is(partition.epochEntries.length, 3);
  await log.close();
});

test('an epoch below the first one known gets (that epoch, start of the first known), as Kafka', async () => {
  const { log, partition } = await open();
  partition.becomeLeader(4);
  partition.produceNow(batch(['a']), 1);
  assert.equal(partition.endOffsetForEpoch(2), { leaderEpoch: 2, endOffset: 0 });
  await log.close();
});

test('KIP-320 fencing: an older currentLeaderEpoch is fenced, a newer one unknown, -1 passes', async () => {
  const { log, partition } = await open();
  partition.becomeLeader(2);
  partition.checkLeaderEpoch(2);
  partition.checkLeaderEpoch(-1);
  assert.is(codeOf(() => partition.checkLeaderEpoch(1)), 'SKEIN_FENCED_LEADER_EPOCH');
  assert.is(codeOf(() => partition.checkLeaderEpoch(3)), 'SKEIN_UNKNOWN_LEADER_EPOCH');
  await log.close();
});

test('a follower refuses produce and appends its leader\'s batches with their offsets, epochs and producer ids (a non-idempotent batch first)', async () => {
  const leader = await open(join(tempDir(), 'leader'));
  const follower = await open(join(tempDir(), 'follower'));
  leader.partition.becomeLeader(1);
  leader.partition.produceNow(batch(['plain']), 1);
  leader.partition.produceNow(batch(['a', 'b'], { producerId: 9, producerEpoch: 0, baseSequence: 0 }), 1);
  leader.partition.becomeLeader(2);
  leader.partition.produceNow(batch(['c'], { producerId: 9, producerEpoch: 0, baseSequence: 2 }), 1);
  follower.partition.becomeFollower(2);
  follower.partition.followLogEnd = false;
  assert.is(codeOf(() => follower.partition.produceNow(batch(['x']), 1)), 'SKEIN_NOT_LEADER_OR_FOLLOWER');
  // Offsets must increase (gaps are a compacted range; going back is not the leader's log).
  assert.is(codeOf(() => follower.partition.appendAsFollower(Buffer.concat([fetchAll(leader.log, 3), fetchAll(leader.log, 0)]))), 'SKEIN_INVALID_RECORD');
  assert.is(follower.log.logEndOffset, 0);
  const hwBefore = follower.partition.highWatermark;
  assert.is(follower.partition.appendAsFollower(fetchAll(leader.log, 0)), 4);
  assert.is(follower.log.logEndOffset, 4);
  assert.is(follower.partition.highWatermark, hwBefore, 'the leader moves the follower\'s high watermark');
  assert.equal(stamps(follower.log), stamps(leader.log));
  assert.equal(follower.partition.epochEntries, leader.partition.epochEntries);
  assert.equal(follower.partition.epochEntries, [
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 3 },
  ]);
  // Batches wholly below the log end (a fetch answers from the batch holding its offset) are skipped.
  assert.is(follower.partition.appendAsFollower(fetchAll(leader.log, 0)), 0);
  // The producer state was learned: after becoming leader, a retry of the last batch is a duplicate.
  follower.partition.becomeLeader(3);
  const retry = follower.partition.produceNow(batch(['c'], { producerId: 9, producerEpoch: 0, baseSequence: 2 }), 1);
  assert.equal([retry.result.baseOffset, retry.result.lastOffset], [3, 3]);
  assert.is(follower.log.logEndOffset, 4);
  await leader.log.close();
  await follower.log.close();
});

test('a diverged tail: the old leader truncates to where the new leader says its epoch ends, then catches up', async () => {
  const a = await open(join(tempDir(), 'a'));
  const b = await open(join(tempDir(), 'b'));
  // Epoch 1: a leads, b follows and copies offsets 0..1.
  a.partition.becomeLeader(1);
  b.partition.becomeFollower(1);
  a.partition.produceNow(batch(['x0', 'x1']), 1);
  b.partition.appendAsFollower(fetchAll(a.log, 0));
  // a takes two more batches that never reach b.
  a.partition.produceNow(batch(['lost2']), 1);
  a.partition.produceNow(batch(['lost3', 'lost4']), 1);
  // b becomes leader in epoch 2 and takes new writes; a becomes its follower.
  b.partition.becomeLeader(2);
  b.partition.produceNow(batch(['y2', 'y3', 'y4', 'y5']), 1);
  a.partition.becomeFollower(2);
  const truncations: Array<PartitionEventMap['truncated']> = [];
  a.partition.on('truncated', (e) => truncations.push(e));
  // The follower's step: ask the leader where our latest epoch ends, truncate there.
  const answer = b.partition.endOffsetForEpoch(a.partition.epochEntries.at(-1)!.epoch);
  assert.equal(answer, { leaderEpoch: 1, endOffset: 2 });
  const end = a.partition.truncateTo(Math.min(answer.endOffset, a.log.logEndOffset));
  assert.is(end, 2);
  assert.equal(truncations, [{ logEndOffset: 2, previousLogEndOffset: 5, logStartOffset: 0 }]);
  assert.is(a.partition.highWatermark, 2, 'the high watermark is clamped to the new end');
  assert.equal(a.partition.epochEntries, [{ epoch: 1, startOffset: 0 }]);
  a.partition.appendAsFollower(fetchAll(b.log, 2));
  assert.equal(values(a.log), values(b.log));
  assert.equal(values(a.log), ['0:x0', '1:x1', '2:y2', '3:y3', '4:y4', '5:y5']);
  assert.equal(a.partition.epochEntries, b.partition.epochEntries);
  await a.log.close();
  await b.log.close();
  // Reopened, a holds the same log and epochs.
  const again = await open(a.dir);
  assert.equal(values(again.log), ['0:x0', '1:x1', '2:y2', '3:y3', '4:y4', '5:y5']);
  assert.equal(again.partition.epochEntries, [
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 2 },
  ]);
  await again.log.close();
});

test('a leader demoted before appending drops its empty epoch when it truncates to its own end (else every fetch would diverge)', async () => {
  const a = await open(join(tempDir(), 'a'));
  const b = await open(join(tempDir(), 'b'));
  // Epoch 3: b leads, a copies everything.
  b.partition.becomeLeader(3);
  a.partition.becomeFollower(3);
  b.partition.produceNow(batch(['x0', 'x1', 'x2']), 1);
  a.partition.appendAsFollower(fetchAll(b.log, 0));
  // a is elected for epoch 4 (recording epoch 4 at its end, 3) but loses the role before any
  // append; b leads epoch 5 and takes writes.
  a.partition.becomeLeader(4);
  assert.equal(a.partition.epochEntries.at(-1), { epoch: 4, startOffset: 3 });
  b.partition.becomeLeader(5);
  b.partition.produceNow(batch(['y3']), 1);
  a.partition.becomeFollower(5);
  // The fetch's check (lastFetchedEpoch 4): b knows epoch 3, ending at 3 -> diverging {3, 3}.
  const answer = b.partition.endOffsetForEpoch(a.partition.epochEntries.at(-1)!.epoch);
  assert.equal(answer, { leaderEpoch: 3, endOffset: 3 });
  const end = a.partition.truncateTo(Math.min(answer.endOffset, a.log.logEndOffset));
  assert.is(end, 3, 'no record is cut');
  assert.equal(a.partition.epochEntries, [{ epoch: 3, startOffset: 0 }], 'the empty epoch 4 is gone');
  assert.is(readFileSync(join(a.dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n1\n3 0\n', 'and gone from the checkpoint');
  // Now the next fetch agrees with the leader (last epoch 3 ends where b says), and a catches up.
  assert.equal(b.partition.endOffsetForEpoch(a.partition.epochEntries.at(-1)!.epoch), { leaderEpoch: 3, endOffset: 3 });
  a.partition.appendAsFollower(fetchAll(b.log, 3));
  assert.equal(values(a.log), values(b.log));
  assert.equal(a.partition.epochEntries, b.partition.epochEntries);
  await a.log.close();
  await b.log.close();
});

test('truncateTo rebuilds the producer state: a batch the cut removed is accepted again, not a duplicate', async () => {
  const { log, partition } = await open();
  const p = (seq: number, v: string) => batch([v], { producerId: 5, producerEpoch: 0, baseSequence: seq });
  partition.produceNow(p(0, 'a'), 1);
  partition.produceNow(p(1, 'b'), 1);
  partition.produceNow(p(2, 'c'), 1);
  partition.truncateTo(2);
  const again = partition.produceNow(p(2, 'c'), 1);
  assert.equal([again.result.baseOffset, log.logEndOffset], [2, 3]);
  assert.equal(values(log), ['0:a', '1:b', '2:c']);
  await log.close();
});

test('truncateFullyAndStartAt empties log and epochs; the next leader epoch starts at the new offset', async () => {
  const { log, partition, dir } = await open();
  partition.becomeLeader(1);
  partition.produceNow(batch(['a', 'b']), 1);
  partition.becomeFollower(2);
  partition.truncateFullyAndStartAt(50);
  assert.equal([partition.logStartOffset, partition.logEndOffset, partition.highWatermark], [50, 50, 50]);
  assert.equal(partition.epochEntries, []);
  assert.is(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n0\n');
  partition.appendAsFollower(Buffer.concat([withOffset(batch(['z'], { partitionLeaderEpoch: 2 }), 50)]));
  assert.equal(partition.epochEntries, [{ epoch: 2, startOffset: 50 }]);
  await log.close();
});

test('a missing or damaged checkpoint is rebuilt from the batches at open, with a warning', async () => {
  const { log, partition, dir } = await open();
  partition.becomeLeader(1);
  partition.produceNow(batch(['a']), 1);
  partition.becomeLeader(4);
  partition.produceNow(batch(['b']), 1);
  await log.close();
  const expected = [
    { epoch: 1, startOffset: 0 },
    { epoch: 4, startOffset: 1 },
  ];
  unlinkSync(join(dir, 'leader-epoch-checkpoint'));
  let again = await open(dir);
  assert.equal(again.partition.epochEntries, expected);
  assert.ok(again.warnings.some((w) => w.includes('is missing')), again.warnings.join('\n'));
  assert.is(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n2\n1 0\n4 1\n');
  await again.log.close();
  writeFileSync(join(dir, 'leader-epoch-checkpoint'), '0\n5\n1 0\ngarbage');
  again = await open(dir);
  assert.equal(again.partition.epochEntries, expected);
  assert.ok(again.warnings.some((w) => w.includes('holds') || w.includes('malformed')), again.warnings.join('\n'));
  assert.is(again.partition.leaderEpoch, 4, 'a reopened partition stamps no older epoch than its log holds');
  await again.log.close();
});

test('the rebuild finds every epoch start among many batches (binary search over offsets)', async () => {
  const { log, partition, dir } = await open();
  const plan: Array<[number, number]> = [
    [0, 5],
    [1, 37],
    [2, 1],
    [5, 120],
    [6, 1],
    [9, 3],
  ];
  for (const [epoch, batches] of plan) {
    if (epoch > 0) partition.becomeLeader(epoch);
    for (let i = 0; i < batches; i++) partition.produceNow(batch(Array.from({ length: 1 + (i % 3) }, (_, j) => `e${epoch}-${i}-${j}`)), 1);
  }
  const expected = partition.epochEntries;
  assert.is(expected.length, plan.length);
  await log.close();
  unlinkSync(join(dir, 'leader-epoch-checkpoint'));
  const again = await open(dir);
  assert.equal(again.partition.epochEntries, expected);
  await again.log.close();
});

test('a folder written before epochs were stamped (batches at -1, no checkpoint) keeps working', async () => {
  const dir = join(tempDir(), 'old-0');
  const raw = await PartitionLog.open(dir);
  raw.appendSync(batch(['old0', 'old1']));
  raw.appendSync(batch(['old2']));
  await raw.close();
  const { log, partition } = await open(dir);
  assert.equal(partition.epochEntries, []);
  assert.not.ok(existsSync(join(dir, 'leader-epoch-checkpoint')), 'nothing to record: no file written at open');
  assert.equal(partition.endOffsetForEpoch(0), { leaderEpoch: 0, endOffset: 3 });
  partition.produceNow(batch(['new3']), 1);
  assert.equal(stamps(log), [
    [0, -1],
    [2, -1],
    [3, 0],
  ]);
  assert.equal(partition.epochEntries, [{ epoch: 0, startOffset: 3 }]);
  assert.equal(values(log), ['0:old0', '1:old1', '2:old2', '3:new3']);
  await log.close();
});

test('DeleteRecords moves the first epoch\'s start with the log start; a truncation below it leaves none', async () => {
  const { log, partition } = await open();
  partition.becomeLeader(1);
  partition.produceNow(batch(['a', 'b']), 1);
  partition.becomeLeader(2);
  partition.produceNow(batch(['c', 'd']), 1);
  log.deleteRecordsBefore(3);
  assert.equal(partition.epochEntries, [{ epoch: 2, startOffset: 3 }]);
  // A truncation below the log start empties the log: no epoch is left.
  assert.is(partition.truncateTo(1), 1);
  assert.equal([partition.logStartOffset, partition.logEndOffset, partition.highWatermark], [1, 1, 1]);
  assert.equal(partition.epochEntries, []);
  await log.close();
});

/** A copy of `bytes` (one batch) with its baseOffset set, as a leader's log would hold it. */
function withOffset(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  for (const b of iterateBatches(copy)) b.writeBigInt64BE(BigInt(offset), 0);
  return copy;
}

test.run();
