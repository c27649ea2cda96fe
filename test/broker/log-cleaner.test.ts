/**
 * The broker's log cleaner: it compacts topics with cleanup.policy=compact (and compact,delete)
 * and __consumer_offsets, leaves cleanup.policy=delete topics alone, and keeps
 * __consumer_offsets from growing under a commit loop (kafkajs commits after every batch)
 * without losing a committed offset, across a restart.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';
import { iterateBatches } from '../../src/records/record-iterator.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

// One offsets partition, so partition 0 holds every commit these tests count.
const OPTIONS = { logCleanerIntervalMs: 0, offsetsSegmentBytes: 8192, offsetsTopicPartitions: 1 };

async function values(broker: Broker, topic: string): Promise<Array<[number, string, string | null]>> {
  const out: Array<[number, string, string | null]> = [];
  let offset = broker.offsets(topic, 0).logStartOffset;
  for (;;) {
    const fetched = await broker.fetch({ maxWaitMs: 0, partitions: [{ topic, partition: 0, fetchOffset: offset, maxBytes: 1 << 20 }] });
    const p = fetched.partitions[0]!;
    if (p.error) throw p.error;
    if (p.records.length === 0) return out;
    let next = offset;
    for (const view of p.records) {
      for (const batch of iterateBatches(view)) {
        const d = decodeRecordBatch(batch);
        next = Math.max(next, d.lastOffset + 1);
        for (const r of d.records) if (r.offset >= offset) out.push([r.offset, r.key!.toString(), r.value?.toString() ?? null]);
      }
    }
    if (next >= broker.offsets(topic, 0).highWatermark) return out;
    offset = next;
  }
}

test('compact and compact,delete topics are cleaned; delete topics are not', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'data'), ...OPTIONS });
  try {
    const small = [{ name: 'segment.bytes', value: '1024' }, { name: 'min.cleanable.dirty.ratio', value: '0.1' }];
    await broker.createTopic({ topic: 'c', configEntries: [...small, { name: 'cleanup.policy', value: 'compact' }] });
    await broker.createTopic({ topic: 'cd', configEntries: [...small, { name: 'cleanup.policy', value: 'compact,delete' }, { name: 'retention.ms', value: '-1' }] });
    await broker.createTopic({ topic: 'd', configEntries: small });
    for (const topic of ['c', 'cd', 'd']) {
      for (let i = 0; i < 100; i++) await broker.produce(topic, 0, encodeRecordBatch([{ key: `k${i % 4}`, value: `v${i}` }]));
    }
    const round = await broker.runLogCleaner();
    assert.is(round.partitionsCleaned, 2);
    assert.ok(round.bytesAfter < round.bytesBefore / 5);
    for (const topic of ['c', 'cd']) {
      const got = await values(broker, topic);
      const activeTail = got.filter(([offset]) => offset < 96);
      assert.ok(activeTail.length <= 4 + 16, `${topic}: at most one record per key before the active segment, got ${activeTail.length}`);
      for (const k of [0, 1, 2, 3]) assert.ok(got.some(([o, key, v]) => key === `k${k}` && o === 96 + k && v === `v${96 + k}`), `${topic}: latest of k${k}`);
    }
    assert.is((await values(broker, 'd')).length, 100, 'cleanup.policy=delete keeps every record');
    await broker.alterConfigs('c', [{ name: 'min.cleanable.dirty.ratio', value: '2' }]).then(
      () => assert.unreachable('a ratio above 1 is refused'),
      (err: { code: string }) => assert.is(err.code, 'SKEIN_INVALID_CONFIG'),
    );
  } finally {
    await broker.close();
  }
});

test('__consumer_offsets stops growing under a commit loop, and every committed offset survives a restart', async () => {
  const dir = join(tempDir(), 'data');
  let broker = await Broker.open({ dir, ...OPTIONS });
  const sizes: number[] = [];
  const commit = (partition: number, offset: number) =>
    broker.groups.commitOffsets({ groupId: 'loop', generationId: -1, memberId: '', offsets: [{ topic: 't', partition, offset }] });
  try {
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 400; i++) await commit(i % 5, round * 1000 + i);
      await broker.runLogCleaner();
      const o = broker.offsets('__consumer_offsets', 0);
      sizes.push(o.highWatermark);
    }
    // Offsets keep growing (commits are appended), but the bytes held stop growing: compare the
    // records a full read returns after the first rounds and at the end.
  } finally {
    await broker.close();
  }
  broker = await Broker.open({ dir, ...OPTIONS });
  try {
    const records = await values(broker, '__consumer_offsets');
    assert.ok(records.length < 400, `after compaction the log holds ${records.length} records of ${sizes[sizes.length - 1]} written`);
    const committed = await broker.groups.fetchOffsets({ groupId: 'loop', partitions: [0, 1, 2, 3, 4].map((partition) => ({ topic: 't', partition })) });
    assert.equal(committed.map((c) => c.offset).sort(), [7395, 7396, 7397, 7398, 7399]);
  } finally {
    await broker.close();
  }
});

test('__consumer_offsets bytes stay bounded round after round', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'data'), ...OPTIONS });
  try {
    const held: number[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 300; i++) {
        await broker.groups.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets: [{ topic: 't', partition: i % 3, offset: round * 1000 + i }] });
      }
      await broker.runLogCleaner();
      held.push((await values(broker, '__consumer_offsets')).length);
    }
    // Each round writes 300 commit records; after cleaning what is held does not grow with the rounds.
    const late = held.slice(3);
    assert.ok(Math.max(...late) <= Math.min(...late) + 300, `records held per round: ${held.join(', ')}`);
    assert.ok(held[held.length - 1]! < 600, `records held per round: ${held.join(', ')}`);
  } finally {
    await broker.close();
  }
});

test.run();
