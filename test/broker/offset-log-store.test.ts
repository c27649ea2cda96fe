/**
 * Committed offsets in the `__consumer_offsets` log: replay (last record wins, group
 * tombstones), and the rewrite at load that keeps the log from growing with every commit.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { OffsetLogStore } from '../../src/broker/offset-log-store.js';
import type { StoredOffset } from '../../src/broker/group/offset-store.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const offset = (groupId: string, partition: number, value: number): StoredOffset => ({
  groupId,
  topic: 't',
  partition,
  offset: value,
  leaderEpoch: -1,
  metadata: '',
  commitTimestamp: 1_700_000_000_000 + value,
});

const sorted = (it: Iterable<StoredOffset>) => [...it].sort((a, b) => (a.groupId + a.partition < b.groupId + b.partition ? -1 : 1));

test('replay keeps the last commit per partition and honours group tombstones', async () => {
  const dir = join(tempDir(), '__consumer_offsets-0');
  let log = await PartitionLog.open(dir, { config: { flushMessages: 1 } });
  let store = new OffsetLogStore(log);
  await store.commit('a', [offset('a', 0, 5), offset('a', 1, 7)]);
  await store.commit('a', [offset('a', 0, 9)]);
  await store.commit('b', [offset('b', 0, 3)]);
  await store.deleteGroup('b');
  await store.commit('c', [offset('c', 2, 1)]);
  await log.close();
  log = await PartitionLog.open(dir, { config: { flushMessages: 1 } });
  store = new OffsetLogStore(log);
  assert.equal(sorted(await store.load()), sorted([offset('a', 0, 9), offset('a', 1, 7), offset('c', 2, 1)]));
  await log.close();
});

test('a log with many times more commits than live offsets is rewritten at load, losing nothing', async () => {
  const dir = join(tempDir(), '__consumer_offsets-0');
  const config = { flushMessages: 1, segmentBytes: 4096 };
  let log = await PartitionLog.open(dir, { config });
  let store = new OffsetLogStore(log, { compactMinRecords: 100, compactRatio: 10 });
  for (let i = 0; i < 300; i++) await store.commit('g', [offset('g', i % 3, i)]);
  await store.commit('dead', [offset('dead', 0, 1)]);
  await store.deleteGroup('dead');
  const before = log.logEndOffset - log.logStartOffset;
  const expected = sorted([offset('g', 0, 297), offset('g', 1, 298), offset('g', 2, 299)]);
  await log.close();

  log = await PartitionLog.open(dir, { config });
  store = new OffsetLogStore(log, { compactMinRecords: 100, compactRatio: 10 });
  assert.equal(sorted(await store.load()), expected);
  const after = log.logEndOffset - log.logStartOffset;
  assert.ok(after < before / 10, `the log went from ${before} to ${after} records`);
  await store.commit('g', [offset('g', 0, 1000)]);
  await log.close();

  log = await PartitionLog.open(dir, { config });
  store = new OffsetLogStore(log, { compactMinRecords: 100, compactRatio: 10 });
  assert.equal(sorted(await store.load()), sorted([offset('g', 0, 1000), offset('g', 1, 298), offset('g', 2, 299)]));
  await log.close();
});

test.run();
