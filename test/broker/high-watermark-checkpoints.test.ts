/**
 * `replication-offset-checkpoint` on real files: Kafka's text format written atomically and
 * read back (broker/offset-checkpoint-file.ts), damaged and missing files, and what
 * HighWatermarkCheckpoints makes of them for real partitions: a checkpointed HW below the log
 * end is restored, one above it is clamped to the log end, a partition without an entry and
 * every partition of a damaged file start at the log start (with a warning for the damage);
 * close() writes the HWs as they stand, and an unchanged file is not rewritten.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { Partition } from '../../src/partition/partition.js';
import { readOffsetCheckpointFile, writeOffsetCheckpointFile } from '../../src/broker/offset-checkpoint-file.js';
import { HighWatermarkCheckpoints, REPLICATION_OFFSET_CHECKPOINT_FILE } from '../../src/broker/high-watermark-checkpoints.js';
import { batchOf } from '../helpers/batches.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

test('the file is Kafka\'s text format (version 0, count, "topic partition offset" lines), replaced atomically, and reads back', () => {
  const dir = tempDir();
  const path = join(dir, REPLICATION_OFFSET_CHECKPOINT_FILE);
  assert.equal(readOffsetCheckpointFile(path), { state: 'missing' });
  const entries = [
    { topic: 'orders', partition: 0, offset: 1200 },
    { topic: 'orders', partition: 1, offset: 0 },
    { topic: '__consumer_offsets', partition: 49, offset: 7 },
  ];
  writeOffsetCheckpointFile(path, entries);
  assert.is(readFileSync(path, 'utf8'), '0\n3\norders 0 1200\norders 1 0\n__consumer_offsets 49 7\n');
  assert.equal(readOffsetCheckpointFile(path), { state: 'ok', entries });
  writeOffsetCheckpointFile(path, []);
  assert.equal(readOffsetCheckpointFile(path), { state: 'ok', entries: [] });
  assert.equal(readdirSync(dir), [REPLICATION_OFFSET_CHECKPOINT_FILE], 'no temp file left');
});

test('damaged files are reported as corrupt with what is wrong, never thrown', () => {
  const path = join(tempDir(), REPLICATION_OFFSET_CHECKPOINT_FILE);
  const cases: Array<[string, RegExp]> = [
    ['', /no version and count/],
    ['1\n0\n', /format version "1"/],
    ['0\nx\n', /entry count "x"/],
    ['0\n2\norders 0 5\n', /says 2 entries but holds 1/],
    ['0\n1\norders 0\n', /malformed entry "orders 0"/],
    ['0\n1\norders -1 5\n', /malformed entry/],
    ['0\n1\norders 0 5x\n', /malformed entry/],
    ['0\n1\n 0 5\n', /malformed entry/],
    ['0\n2\norders 0 5\norders 0 6\n', /names orders-0 twice/],
    ['\u0000\u0000\u0000', /format version|no version/],
  ];
  for (const [text, reason] of cases) {
    writeFileSync(path, text);
    const read = readOffsetCheckpointFile(path);
    assert.is(read.state, 'corrupt', JSON.stringify(text));
    if (read.state === 'corrupt') assert.match(read.reason, reason, JSON.stringify(text));
  }
});

async function partitionWith(dir: string, topic: string, records: number): Promise<Partition> {
  const log = await PartitionLog.open(join(dir, `${topic}-0`));
  for (let i = 0; i < records; i++) log.appendSync(batchOf(`${topic}${i}`));
  return new Partition(topic, 0, log);
}

test('restored HWs: below the log end kept, above it clamped, no entry or a damaged file gives the log start; close writes them', async () => {
  const dir = tempDir();
  const path = join(dir, REPLICATION_OFFSET_CHECKPOINT_FILE);
  const partitions = [await partitionWith(dir, 'kept', 10), await partitionWith(dir, 'above', 4), await partitionWith(dir, 'absent', 6)];
  for (const p of partitions) assert.is(p.highWatermark, p.logEndOffset, 'a partition alone opens with its HW at its log end');
  writeOffsetCheckpointFile(path, [
    { topic: 'kept', partition: 0, offset: 7 },
    { topic: 'above', partition: 0, offset: 99 },
  ]);
  const warnings: string[] = [];
  let checkpoints = HighWatermarkCheckpoints.open({ dir, intervalMs: 0, partitions: () => partitions, warn: (m) => warnings.push(m) });
  for (const p of partitions) p.restoreHighWatermark(checkpoints.highWatermarkOf(p.topic, 0));
  assert.equal(partitions.map((p) => p.highWatermark), [7, 4, 0]);
  assert.equal(warnings, []);
  // Fetches stop at the HW: the records above it are not served.
  assert.is(partitions[0]!.read(7, 1 << 20, true).bytes, 0);

  partitions[2]!.setHighWatermark(6);
  checkpoints.close();
  assert.is(readFileSync(path, 'utf8'), '0\n3\nabove 0 4\nabsent 0 6\nkept 0 7\n');
  // An idle broker does not fsync every interval: unchanged HWs are not written again.
  checkpoints = HighWatermarkCheckpoints.open({ dir, intervalMs: 0, partitions: () => partitions, warn: (m) => warnings.push(m) });
  checkpoints.write();
  unlinkSync(path);
  checkpoints.write();
  assert.not.ok(existsSync(path), 'not rewritten');
  partitions[1]!.log.appendSync(batchOf('more'));
  partitions[1]!.setHighWatermark(5);
  checkpoints.write();
  assert.is(readFileSync(path, 'utf8'), '0\n3\nabove 0 5\nabsent 0 6\nkept 0 7\n');

  writeFileSync(path, '0\n3\nkept 0 7\n');
  const damaged = HighWatermarkCheckpoints.open({ dir, intervalMs: 0, partitions: () => [], warn: (m) => warnings.push(m) });
  assert.is(damaged.highWatermarkOf('kept', 0), undefined);
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /replication-offset-checkpoint says 3 entries but holds 1: ignored; every replica starts with its high watermark at its log start/);
  const fresh = await partitionWith(tempDir(), 'kept', 10);
  fresh.restoreHighWatermark(damaged.highWatermarkOf('kept', 0));
  assert.is(fresh.highWatermark, 0);
  damaged.close();
  assert.ok(existsSync(path));
  for (const p of [...partitions, fresh]) await p.log.close();
});

test.run();
