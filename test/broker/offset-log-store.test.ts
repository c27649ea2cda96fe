/**
 * Committed offsets in the `__consumer_offsets` log: replay (last record wins, group
 * tombstones), and compaction by the log cleaner keeping the log small under a commit loop.
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

test('compaction keeps the log small under a commit loop and loses no offset; deleted groups stay deleted', async () => {
  const dir = join(tempDir(), '__consumer_offsets-0');
  const config = { flushMessages: 1, segmentBytes: 4096, minCleanableDirtyRatio: 0.5, deleteRetentionMs: 0 };
  let log = await PartitionLog.open(dir, { config });
  let store = new OffsetLogStore(log);
  await store.load();
  await store.commit('dead', [offset('dead', 0, 1), offset('dead', 1, 2)]);
  let sizeAfterFirstRound = 0;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 200; i++) await store.commit('g', [offset('g', i % 3, round * 1000 + i)]);
    if (round === 0) await store.deleteGroup('dead');
    await log.compact({ now: Date.now() + 1000 });
    if (round === 1) sizeAfterFirstRound = log.size;
    if (round > 1) assert.ok(log.size <= sizeAfterFirstRound + 2 * 4096, `round ${round}: ${log.size} bytes, was ${sizeAfterFirstRound}`);
  }
  const expected = sorted([offset('g', 0, 3198), offset('g', 1, 3199), offset('g', 2, 3197)]);
  await log.close();

  log = await PartitionLog.open(dir, { config });
  store = new OffsetLogStore(log);
  assert.equal(sorted(await store.load()), expected);
  await log.close();
});

test.run();
