/**
 * The `__consumer_offsets` store over real partition logs: Kafka's binary records (checked
 * byte by byte against the published schema layout), replay per partition (last record wins,
 * tombstones for deleted offsets and groups), the topic id header, a record that does not
 * decode skipped with a warning, compaction keeping a partition small under a commit loop, and
 * a replicated source (a cluster) acknowledging a commit only once it has it replicated.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { LogManager } from '../../../src/storage/log-manager.js';
import { Partition } from '../../../src/partition/partition.js';
import { encodeRecordBatch } from '../../../src/records/encode-record-batch.js';
import { iterateRecords } from '../../../src/records/record-iterator.js';
import { OffsetsTopicStore } from '../../../src/broker/group/offsets-topic-store.js';
import { LocalOffsetsTopic, offsetsLogConfig } from '../../../src/broker/group/offsets-topic.js';
import { coordinatorPartition } from '../../../src/broker/group/coordinator-partition.js';
import type { StoredOffset } from '../../../src/broker/group/offset-store.js';
import { cleanupTempDirs, tempDir } from '../../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const PARTITIONS = 5;

const offset = (groupId: string, partition: number, value: number, topicId?: string): StoredOffset => ({
  groupId,
  topic: 't',
  partition,
  offset: value,
  leaderEpoch: 3,
  metadata: 'm',
  commitTimestamp: 1_700_000_000_000 + value,
  ...(topicId ? { topicId } : {}),
});

async function openStore(dir: string, config = offsetsLogConfig(64 * 1024 * 1024)) {
  const logs = LogManager.open({ dir });
  const warnings: string[] = [];
  const topic = new LocalOffsetsTopic(logs, PARTITIONS, config, (p, log) => new Partition('__consumer_offsets', p, log), () => undefined);
  await topic.openIfPresent();
  const store = new OffsetsTopicStore(PARTITIONS, topic, (m) => warnings.push(m));
  return { logs, topic, store, warnings };
}

async function loadAll(store: OffsetsTopicStore): Promise<StoredOffset[]> {
  const all: StoredOffset[] = [];
  for (let p = 0; p < PARTITIONS; p++) all.push(...(await store.loadPartition(p)).offsets);
  return all.sort((a, b) => (a.groupId + a.partition < b.groupId + b.partition ? -1 : 1));
}

test('the topic appears at first use with every partition; each group writes to its own partition', async () => {
  const dir = join(tempDir(), 'data');
  const { logs, topic, store } = await openStore(dir);
  try {
    assert.not.ok(topic.exists, 'nothing before the first use');
    assert.equal(logs.listNames(), []);
    await store.commit('a', [offset('a', 0, 5)]);
    assert.equal(logs.listNames(), Array.from({ length: PARTITIONS }, (_, p) => `__consumer_offsets-${p}`).sort());
    const home = coordinatorPartition('a', PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) assert.is(topic.partition(p)!.logEndOffset, p === home ? 1 : 0, `partition ${p}`);
  } finally {
    await logs.close();
  }
});

test('records are Kafka\'s: OffsetCommitKey (version 1) and OffsetCommitValue v3, byte for byte', async () => {
  const dir = join(tempDir(), 'data');
  const { logs, topic, store } = await openStore(dir);
  try {
    await store.commit('g1', [{ ...offset('g1', 7, 42), leaderEpoch: 9, metadata: 'hi' }]);
    const p = coordinatorPartition('g1', PARTITIONS);
    const log = topic.partition(p)!.log;
    const [record] = [...log.batchesFrom(0)].flatMap((b) => [...iterateRecords(b)]);
    const key = Buffer.concat([Buffer.from([0, 1]), Buffer.from([0, 2]), Buffer.from('g1'), Buffer.from([0, 1]), Buffer.from('t'), Buffer.from([0, 0, 0, 7])]);
    assert.equal(record!.key, key);
    const value = Buffer.alloc(2 + 8 + 4 + 2 + 2 + 8);
    value.writeInt16BE(3, 0);
    value.writeBigInt64BE(42n, 2);
    value.writeInt32BE(9, 10);
    value.writeInt16BE(2, 14);
    value.write('hi', 16);
    value.writeBigInt64BE(BigInt(1_700_000_000_042), 18);
    assert.equal(record!.value, value);
  } finally {
    await logs.close();
  }
});

test('replay keeps the last commit per partition, drops deleted offsets and groups, keeps topic ids', async () => {
  const dir = join(tempDir(), 'data');
  let opened = await openStore(dir);
  await opened.store.commit('a', [offset('a', 0, 5, 'id-1'), offset('a', 1, 7)]);
  await opened.store.commit('a', [offset('a', 0, 9, 'id-1')]);
  await opened.store.commit('b', [offset('b', 0, 3)]);
  await opened.store.storeGroup({ groupId: 'b', protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp: 1, members: [] });
  await opened.store.deleteGroup('b');
  await opened.store.commit('c', [offset('c', 2, 1), offset('c', 3, 1)]);
  await opened.store.deleteOffsets('c', [{ topic: 't', partition: 3 }]);
  await opened.store.storeGroup({ groupId: 'c', protocolType: 'consumer', generation: 2, protocol: 'range', leader: 'm1', currentStateTimestamp: 1, members: [] });
  await opened.logs.close();
  opened = await openStore(dir);
  try {
    assert.equal(await loadAll(opened.store), [offset('a', 0, 9, 'id-1'), offset('a', 1, 7), offset('c', 2, 1)]);
    const groups = (await opened.store.loadPartition(coordinatorPartition('c', PARTITIONS))).groups;
    const c = [...groups].find((g) => g.groupId === 'c');
    assert.is(c?.generation, 2);
    assert.is(c?.protocolType, 'consumer');
    const bGroups = [...(await opened.store.loadPartition(coordinatorPartition('b', PARTITIONS))).groups];
    assert.not.ok(bGroups.some((g) => g.groupId === 'b'), 'deleted group metadata is gone');
  } finally {
    await opened.logs.close();
  }
});

test('a record that does not decode is skipped with a warning; the rest loads', async () => {
  const dir = join(tempDir(), 'data');
  const { logs, topic, store, warnings } = await openStore(dir);
  try {
    await store.commit('a', [offset('a', 0, 5)]);
    const p = coordinatorPartition('a', PARTITIONS);
    await topic.partition(p)!.produce(encodeRecordBatch([{ key: Buffer.from([0, 9, 1]), value: Buffer.from([1]) }, { key: Buffer.from([0, 1, 0]), value: Buffer.from([0, 3]) }]), -1);
    const loaded = await store.loadPartition(p);
    assert.equal([...loaded.offsets], [offset('a', 0, 5)]);
    assert.is(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0]!, 'unknown version 9');
  } finally {
    await logs.close();
  }
});

test('compaction keeps a partition small under a commit loop and loses no offset', async () => {
  const dir = join(tempDir(), 'data');
  const config = { ...offsetsLogConfig(4096), minCleanableDirtyRatio: 0.5, deleteRetentionMs: 0 };
  let opened = await openStore(dir, config);
  const { store, topic } = opened;
  await store.commit('dead', [offset('dead', 0, 1), offset('dead', 1, 2)]);
  await store.deleteGroup('dead');
  const log = topic.partition(coordinatorPartition('g', PARTITIONS))!.log;
  let sizeAfterFirstRound = 0;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 200; i++) await store.commit('g', [offset('g', i % 3, round * 1000 + i)]);
    await log.compact({ now: Date.now() + 1000 });
    if (round === 1) sizeAfterFirstRound = log.size;
    if (round > 1) assert.ok(log.size <= sizeAfterFirstRound + 2 * 4096, `round ${round}: ${log.size} bytes, was ${sizeAfterFirstRound}`);
  }
  await opened.logs.close();
  opened = await openStore(dir, config);
  try {
    assert.equal(await loadAll(opened.store), [offset('g', 0, 3198), offset('g', 1, 3199), offset('g', 2, 3197)]);
  } finally {
    await opened.logs.close();
  }
});


test('with a replicated source, a commit resolves only once the source acknowledged the append, and fails with it', async () => {
  const dir = join(tempDir(), 'data');
  const { logs, topic } = await openStore(dir);
  await topic.ensureCreated();
  // A cluster's source (ClusterOffsetsTopic) answers once the HW passed the records; here the test plays the followers.
  const held: Array<{ release: () => void; fail: (e: Error) => void }> = [];
  const replicated = {
    partition: (p: number) => topic.partition(p),
    ensureCreated: () => topic.ensureCreated(),
    produce: async (partition: Partition, records: Buffer) => {
      await partition.produce(records, -1);
      await new Promise<void>((release, fail) => held.push({ release, fail }));
    },
  };
  const store = new OffsetsTopicStore(PARTITIONS, replicated);
  try {
    let done = false;
    const first = store.commit('a', [offset('a', 0, 5)]).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.is(held.length, 1, 'the append went through the replicated source');
    assert.is(done, false, 'not acknowledged before the replicas have it');
    assert.is(topic.partition(coordinatorPartition('a', PARTITIONS))!.logEndOffset, 1, 'appended to the leader log meanwhile');
    held[0]!.release();
    await first;
    assert.ok(done);
    const second = store.commit('a', [offset('a', 0, 6)]);
    await new Promise((r) => setTimeout(r, 20));
    held[1]!.fail(new Error('NOT_ENOUGH_REPLICAS_AFTER_APPEND'));
    await second.then(
      () => assert.unreachable('a commit the replicas did not acknowledge must fail'),
      (err: Error) => assert.match(err.message, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'),
    );
  } finally {
    await logs.close();
  }
});

test.run();
