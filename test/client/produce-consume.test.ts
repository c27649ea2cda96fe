/**
 * The embedded engine as a user drives it: Skein.open, admin, producer and consumer, on real
 * files. Order per partition, keys on the partitions the Java client would choose, two groups,
 * close and reopen, seek/pause/resume, the async iterator, and bad input.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import { SkeinError } from '../../src/errors.js';
import { keyedPartition } from '../../src/client/partitioner.js';
import type { Consumer, KafkaMessage } from '../../src/client/consumer.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const FAST = { groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100 };

async function expectCode(fn: () => unknown, code: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, `expected a SkeinError, got ${String(err)}`);
    assert.is((err as SkeinError).code, code, (err as Error).message);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('keyed records keep per-partition order and land where the Java partitioner puts them', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
  await skein.admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }] });
  const producer = skein.producer();
  const keys = Array.from({ length: 50 }, (_, i) => `customer-${i}`);
  for (let round = 0; round < 20; round++) {
    await producer.send({ topic: 'orders', messages: keys.map((k) => ({ key: k, value: `${k}:${round}` })) });
  }
  const consumer = skein.consumer({ groupId: 'g', maxWaitTimeInMs: 50 });
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  const seen = new Map<string, number[]>();
  let count = 0;
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const [k, round] = message.value!.toString().split(':') as [string, string];
      assert.is(partition, keyedPartition(Buffer.from(k), 6), `key ${k} is on the Java partition`);
      assert.is(message.key!.toString(), k);
      seen.set(k, [...(seen.get(k) ?? []), Number(round)]);
      count += 1;
    },
  });
  await until(() => count === 1000, 'all 1000 records');
  for (const k of keys) assert.equal(seen.get(k), Array.from({ length: 20 }, (_, i) => i), `order of ${k}`);
  await skein.close();
});

test('headers, timestamps, null keys and tombstones round-trip', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
  const producer = skein.producer();
  const [meta] = await producer.send({
    topic: 'events',
    messages: [
      { key: null, value: Buffer.from([0, 1, 2, 255]), headers: { trace: 'abc', bin: Buffer.from([9]) }, timestamp: 1_700_000_000_123 },
      { key: 'k', value: null, timestamp: '1700000000124' },
    ],
  });
  assert.is(meta!.topicName, 'events');
  assert.is(meta!.baseOffset, '0');
  const consumer = skein.consumer({ groupId: 'h', maxWaitTimeInMs: 50 });
  await consumer.subscribe({ topic: 'events', fromBeginning: true });
  const got: KafkaMessage[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
  await until(() => got.length === 2, 'two records');
  assert.equal([...got[0]!.value!], [0, 1, 2, 255]);
  assert.is(got[0]!.key, null);
  assert.is((got[0]!.headers.trace as Buffer).toString(), 'abc');
  assert.equal([...(got[0]!.headers.bin as Buffer)], [9]);
  assert.is(got[0]!.timestamp, '1700000000123');
  assert.is(got[1]!.value, null);
  assert.is(got[1]!.offset, '1');
  await skein.close();
});

test('two groups each see every record at their own pace', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
  await skein.admin.createTopics({ topics: [{ topic: 't', numPartitions: 3 }] });
  const producer = skein.producer();
  for (let i = 0; i < 300; i++) await producer.send({ topic: 't', messages: [{ key: `k${i}`, value: `v${i}` }] });
  const counts = { a: 0, b: 0 };
  const consumers: Consumer[] = [];
  for (const group of ['a', 'b'] as const) {
    const consumer = skein.consumer({ groupId: group, maxWaitTimeInMs: 50 });
    consumers.push(consumer);
    await consumer.subscribe({ topic: 't', fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        counts[group] += 1;
        if (group === 'b') await new Promise((r) => setImmediate(r));
      },
    });
  }
  await until(() => counts.a === 300 && counts.b === 300, 'both groups');
  // Stopping commits the positions: group a has consumed everything, so its lag is 0.
  await consumers[0]!.stop();
  const lagA = await skein.admin.describeGroup('a');
  assert.is(lagA.totalLag, 0);
  assert.is(lagA.offsets.reduce((n, o) => n + o.committedOffset, 0), 300);
  await skein.close();
});

test('close and reopen: topics, data and committed offsets survive; the group resumes after its commits', async () => {
  const dir = join(tempDir(), 'data');
  let skein = await Skein.open({ dir, ...FAST });
  await skein.admin.createTopics({ topics: [{ topic: 'log', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
  const producer = skein.producer();
  for (let i = 0; i < 100; i++) await producer.send({ topic: 'log', messages: [{ key: `k${i}`, value: `first-${i}` }] });
  let consumer = skein.consumer({ groupId: 'resume', maxWaitTimeInMs: 50 });
  await consumer.subscribe({ topic: 'log', fromBeginning: true });
  let first = 0;
  await consumer.run({ eachMessage: async () => void (first += 1) });
  await until(() => first === 100, 'first 100');
  await skein.close(); // commits positions on the way out

  skein = await Skein.open({ dir, ...FAST });
  assert.equal(await skein.admin.listTopics(), ['log']);
  const configs = await skein.admin.describeConfigs({ resources: [{ type: 2, name: 'log' }] });
  assert.is(configs.resources[0]!.configEntries.find((c) => c.configName === 'retention.ms')!.configValue, '86400000');
  const offsets = await skein.admin.fetchTopicOffsets('log');
  assert.is(offsets.reduce((n, o) => n + Number(o.high), 0), 100);
  const committed = await skein.admin.fetchOffsets({ groupId: 'resume', topics: ['log'] });
  assert.is(committed[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0), 100);
  const producer2 = skein.producer();
  for (let i = 0; i < 10; i++) await producer2.send({ topic: 'log', messages: [{ key: `k${i}`, value: `second-${i}` }] });
  consumer = skein.consumer({ groupId: 'resume', maxWaitTimeInMs: 50 });
  await consumer.subscribe({ topic: 'log', fromBeginning: true });
  const second: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void second.push(message.value!.toString()) });
  await until(() => second.length >= 10, 'the new records');
  // Caught up (nothing left to deliver), so `second` holds everything this run will see.
  await until(() => consumer.lag().length > 0 && consumer.lag().every((l) => l.lag === 0), 'the consumer to catch up');
  assert.equal(second.sort(), Array.from({ length: 10 }, (_, i) => `second-${i}`).sort(), 'only records after the commit');
  await skein.close();
});

test('seek, pause and resume', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
  const producer = skein.producer();
  for (let i = 0; i < 20; i++) await producer.send({ topic: 's', messages: [{ value: String(i) }] });
  const consumer = skein.consumer({ groupId: 's', maxWaitTimeInMs: 20 });
  await consumer.subscribe({ topic: 's', fromBeginning: true });
  const got: number[] = [];
  let seeked = false;
  await consumer.run({
    eachMessage: async ({ message }) => {
      got.push(Number(message.value!.toString()));
      if (!seeked && got.length === 10) {
        seeked = true;
        consumer.seek({ topic: 's', partition: 0, offset: 2 });
      }
    },
  });
  await until(() => got.length === 28, 'records after the seek');
  assert.equal(got.slice(10, 12), [2, 3]);
  consumer.pause([{ topic: 's' }]);
  assert.equal(consumer.paused(), [{ topic: 's', partitions: [0] }]);
  const before = got.length;
  await producer.send({ topic: 's', messages: [{ value: '20' }] });
  await new Promise((r) => setTimeout(r, 150));
  assert.is(got.length, before, 'nothing delivered while paused');
  consumer.resume([{ topic: 's' }]);
  await until(() => got.length === before + 1, 'the record after resume');
  assert.is(consumer.lag()[0]!.lag, 0);
  await skein.close();
});

test('for await over batches', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
  const producer = skein.producer();
  await producer.send({ topic: 'it', messages: Array.from({ length: 50 }, (_, i) => ({ value: `m${i}` })) });
  const consumer = skein.consumer({ groupId: 'it', maxWaitTimeInMs: 20 });
  await consumer.subscribe({ topic: 'it', fromBeginning: true });
  const values: string[] = [];
  for await (const batch of consumer) {
    for (const m of batch.messages) values.push(m.value!.toString());
    if (values.length >= 50) break;
  }
  assert.equal(values, Array.from({ length: 50 }, (_, i) => `m${i}`));
  assert.is(consumer.health().status, 'stopped');
  await skein.close();
});

test('idempotence: the same batch with the same sequence is written once; a gap is refused', async () => {
  const { encodeRecordBatch } = await import('../../src/records/encode-record-batch.js');
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
  await skein.admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 1 }] });
  const { producerId, producerEpoch } = await skein.broker.initProducerId();
  const batch = (seq: number, n: number) =>
    encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}` })), { producerId, producerEpoch, baseSequence: seq });
  const first = await skein.broker.produce('idem', 0, batch(0, 3));
  const retry = await skein.broker.produce('idem', 0, batch(0, 3));
  assert.equal([retry.baseOffset, retry.lastOffset], [first.baseOffset, first.lastOffset]);
  assert.is(skein.broker.offsets('idem', 0).highWatermark, 3);
  await expectCode(() => skein.broker.produce('idem', 0, batch(7, 1)), 'SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER');
  const next = await skein.broker.produce('idem', 0, batch(3, 2));
  assert.is(next.baseOffset, 3);
  await expectCode(() => skein.broker.produce('idem', 0, encodeRecordBatch([{ value: 'x' }], { producerId, producerEpoch: -5 + 4, baseSequence: 5 })), 'SKEIN_INVALID_PRODUCER_EPOCH');
  await skein.close();
  // The producer state is rebuilt from the log: a retry after a restart is still a duplicate.
  const again = await Skein.open({ dir: skein.broker.dataDir, ...FAST });
  const retried = await again.broker.produce('idem', 0, batch(3, 2));
  assert.is(retried.baseOffset, 3);
  assert.is(again.broker.offsets('idem', 0).highWatermark, 5);
  await again.close();
});

test('an idempotent producer whose sends span many batches, several in flight, writes every record once and in order', async () => {
  // Regression: the broker recorded a batch's sequence only after the append's promise settled,
  // so the next batch of the same producer (dispatched in the same tick) was refused as out of
  // order, and the producer's sequence roll-back then made later batches look like duplicates
  // that were silently dropped. Found by bench/compare.
  for (const flushMessages of ['9223372036854775807', '1']) {
    const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
    await skein.admin.createTopics({ topics: [{ topic: 'many', numPartitions: 1, configEntries: [{ name: 'flush.messages', value: flushMessages }] }] });
    const producer = skein.producer({ batchSize: 16384 });
    // The broker knows this producer already (its state exists), so every batch is checked.
    await producer.send({ topic: 'many', messages: [{ value: 'first' }] });
    const sends = [];
    for (let s = 0; s < 20; s++) {
      sends.push(producer.send({ topic: 'many', messages: Array.from({ length: 500 }, (_, i) => ({ value: `${s * 500 + i}`.padEnd(1024, '.') })), acks: 1 }));
    }
    const results = await Promise.all(sends);
    assert.equal(results.map((r) => Number(r[0]!.baseOffset)), Array.from({ length: 20 }, (_, s) => 1 + s * 500));
    assert.is(skein.broker.offsets('many', 0).highWatermark, 10_001, 'readable as soon as the sends resolved');
    const consumer = skein.consumer({ groupId: 'check', maxWaitTimeInMs: 20 });
    await consumer.subscribe({ topic: 'many', fromBeginning: true });
    const seen: number[] = [];
    await consumer.run({
      eachBatch: async ({ batch }) => void seen.push(...batch.messages.filter((m) => m.offset !== '0').map((m) => Number(m.value!.toString().split('.')[0]))),
    });
    await until(() => seen.length === 10_000, 'all records');
    assert.equal(seen, Array.from({ length: 10_000 }, (_, i) => i));
    await skein.close();
  }
});

test('a member with no partitions waits without piling up listeners', async () => {
  // Regression: each idle wait added a 'skein.wake' listener that stayed when the wait timed out.
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
  await skein.admin.createTopics({ topics: [{ topic: 'one', numPartitions: 1 }] });
  const members: Consumer[] = [];
  for (let i = 0; i < 2; i++) {
    const consumer = skein.consumer({ groupId: 'idle', heartbeatInterval: 20 });
    await consumer.subscribe({ topic: 'one' });
    await consumer.run({ eachMessage: async () => {} });
    members.push(consumer);
  }
  await until(() => members.some((m) => m.assignment().length === 1) && members.some((m) => m.health().status === 'consuming' && m.assignment().length === 0), 'one idle member');
  await new Promise((r) => setTimeout(r, 300)); // many idle waits of 20 ms
  for (const m of members) assert.ok(m.listenerCount('skein.wake') <= 1, `${m.listenerCount('skein.wake')} listeners`);
  await skein.close();
});

test('bad input gets coded errors and changes nothing', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), autoCreateTopics: false, ...FAST });
  await expectCode(() => skein.admin.createTopics({ topics: [{ topic: 'bad name!' }] }), 'SKEIN_INVALID_TOPIC');
  await expectCode(() => skein.admin.createTopics({ topics: [{ topic: '.' }] }), 'SKEIN_INVALID_TOPIC');
  await expectCode(() => skein.admin.createTopics({ topics: [{ topic: 'x'.repeat(250) }] }), 'SKEIN_INVALID_TOPIC');
  await expectCode(() => skein.admin.createTopics({ topics: [{ topic: 'zero', numPartitions: 0 }] }), 'SKEIN_INVALID_PARTITIONS');
  await expectCode(() => skein.admin.createTopics({ topics: [{ topic: 'neg', numPartitions: -3 }] }), 'SKEIN_INVALID_PARTITIONS');
  await expectCode(() => skein.admin.createTopics({ topics: [{ topic: 'cfg', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }), 'SKEIN_INVALID_CONFIG');
  await expectCode(() => skein.admin.createTopics({ topics: [{ topic: 'cfg', configEntries: [{ name: 'no.such', value: '1' }] }] }), 'SKEIN_INVALID_CONFIG');
  assert.is(await skein.admin.createTopics({ topics: [{ topic: 'ok', numPartitions: 2, configEntries: [{ name: 'max.message.bytes', value: '500' }] }] }), true);
  assert.is(await skein.admin.createTopics({ topics: [{ topic: 'ok' }] }), false, 'exists already');
  await expectCode(() => skein.admin.createPartitions({ topicPartitions: [{ topic: 'ok', count: 1 }] }), 'SKEIN_INVALID_PARTITIONS');
  await expectCode(() => skein.admin.createPartitions({ topicPartitions: [{ topic: 'nope', count: 3 }] }), 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal(await skein.admin.listTopics(), ['ok']);

  const producer = skein.producer();
  await expectCode(() => producer.send({ topic: 'nope', messages: [{ value: 'x' }] }), 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION');
  await expectCode(() => producer.send({ topic: 'ok', messages: [{ value: 'x', partition: 5 }] }), 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION');
  await expectCode(() => producer.send({ topic: 'ok', messages: [{ value: 42 as unknown as string }] }), 'SKEIN_INVALID_ARGUMENT');
  await expectCode(() => producer.send({ topic: 'ok', messages: [{ value: 'x'.repeat(1000), partition: 0 }] }), 'SKEIN_MESSAGE_TOO_LARGE');
  await expectCode(() => producer.send({ topic: 'ok', messages: [{ value: 'x' }], acks: 2 as never }), 'SKEIN_INVALID_REQUIRED_ACKS');
  const offsets = await skein.admin.fetchTopicOffsets('ok');
  assert.equal(offsets.map((o) => o.high), ['0', '0'], 'nothing was written');

  const consumer = skein.consumer({ groupId: 'g', maxWaitTimeInMs: 20 });
  await expectCode(() => consumer.subscribe({ topic: 'nope' }), 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION');
  await expectCode(() => Promise.resolve().then(() => skein.consumer({ groupId: '' })), 'SKEIN_INVALID_GROUP_ID');
  await producer.disconnect();
  await expectCode(() => producer.send({ topic: 'ok', messages: [{ value: 'x' }] }), 'SKEIN_DISCONNECTED');
  await consumer.disconnect();
  await expectCode(() => consumer.subscribe({ topic: 'ok' }), 'SKEIN_DISCONNECTED');
  await expectCode(() => skein.broker.groups.commitOffsets({ groupId: 'gone', generationId: 7, memberId: 'nobody', offsets: [{ topic: 'ok', partition: 0, offset: 1 }] }), 'SKEIN_ILLEGAL_GENERATION');
  await skein.close();
});

test.run();
