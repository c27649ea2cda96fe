/**
 * MemoryOffsetStore (src/broker/group/offset-store.ts) keeps the OffsetStore contract the
 * coordinator relies on: load() returns the last commit of each partition, minus deleted groups.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { MemoryOffsetStore, type StoredOffset } from '../../../src/broker/group/offset-store.js';

const offset = (groupId: string, partition: number, value: number): StoredOffset => ({
  groupId,
  topic: 't',
  partition,
  offset: value,
  leaderEpoch: -1,
  metadata: '',
  commitTimestamp: 0,
});

test('load returns the last commit of each partition; deleting a group forgets only that group', async () => {
  const store = new MemoryOffsetStore();
  assert.equal([...(await store.load())], []);
  await store.commit('a', [offset('a', 0, 1), offset('a', 1, 2)]);
  await store.commit('a', [offset('a', 0, 3)]);
  await store.commit('b', [offset('b', 0, 4)]);
  assert.equal([...(await store.load())].map((o) => [o.groupId, o.partition, o.offset]), [['a', 0, 3], ['a', 1, 2], ['b', 0, 4]]);
  await store.deleteGroup('a');
  assert.equal([...(await store.load())].map((o) => [o.groupId, o.offset]), [['b', 4]]);
});

test('what load returns is a copy: changing it changes nothing stored', async () => {
  const store = new MemoryOffsetStore();
  await store.commit('a', [offset('a', 0, 1)]);
  for (const o of await store.load()) o.offset = 99;
  assert.is([...(await store.load())][0]!.offset, 1);
});

test.run();
