/**
 * Consumers over a compacted topic: an idempotent kafkajs producer writes updates of a few
 * keys over many segments, the log cleaner compacts it (record gaps, shortened batches, empty
 * producer batches), and both kafkajs (over the Kafka protocol) and the embedded consumer read
 * it from the beginning to the end: each gets the latest value of every key, at its offset,
 * and the idempotent producer goes on writing after the pass (its sequence survived). The same
 * with gzip batches from kafkajs: the cleaner rewrites them, still gzip, keeping only the
 * latest record of each key.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Skein } from '../../src/client/skein.js';
import { iterateBatches } from '../../src/records/record-iterator.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;

test.after(cleanupTempDirs);

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('kafkajs and the embedded consumer read a compacted topic: the latest value of each key', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0, logCleanerIntervalMs: 0 });
  let kafkaConsumer: kafkajs.Consumer | undefined;
  try {
    const listener = await skein.listen({ port: 0 });
    await skein.admin.createTopics({
      topics: [{ topic: 'state', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '2048' }] }],
    });
    const kafka = new Kafka({ clientId: 'compaction', brokers: [listener.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const latest = new Map<string, string>();
    for (let i = 0; i < 120; i++) {
      const messages = [0, 1].map((j) => ({ key: `key-${(i * 2 + j) % 7}`, value: `v${i}-${j}` }));
      await producer.send({ topic: 'state', messages });
      for (const m of messages) latest.set(m.key, m.value);
    }
    const before = skein.broker.offsets('state', 0).highWatermark;
    const round = await skein.broker.runLogCleaner();
    assert.is(round.partitionsCleaned, 1);
    // The idempotent producer goes on after the pass: its sequence was kept.
    await producer.send({ topic: 'state', messages: [{ key: 'key-0', value: 'after' }] });
    latest.set('key-0', 'after');
    await producer.disconnect();
    const end = before + 1;
    assert.is(skein.broker.offsets('state', 0).highWatermark, end);

    const embedded = new Map<string, string>();
    let embeddedCount = 0;
    let embeddedLast = -1;
    const consumer = skein.consumer({ groupId: 'embedded', maxWaitTimeInMs: 50 });
    await consumer.subscribe({ topic: 'state', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        embedded.set(message.key!.toString(), message.value!.toString());
        embeddedCount += 1;
        embeddedLast = Number(message.offset);
      },
    });

    const viaKafkajs = new Map<string, string>();
    let kafkajsCount = 0;
    let kafkajsLast = -1;
    kafkaConsumer = kafka.consumer({ groupId: 'kafkajs', maxWaitTimeInMs: 50 });
    await kafkaConsumer.connect();
    await kafkaConsumer.subscribe({ topic: 'state', fromBeginning: true });
    await kafkaConsumer.run({
      eachMessage: async ({ message }) => {
        viaKafkajs.set(message.key!.toString(), message.value!.toString());
        kafkajsCount += 1;
        kafkajsLast = Number(message.offset);
      },
    });
    await until(() => embeddedLast === end - 1 && kafkajsLast === end - 1, 'both consumers at the log end');
    assert.equal(Object.fromEntries(embedded), Object.fromEntries(latest));
    assert.equal(Object.fromEntries(viaKafkajs), Object.fromEntries(latest));
    assert.ok(embeddedCount < 60, `compaction left ${embeddedCount} of ${before} records`);
    assert.is(kafkajsCount, embeddedCount);
  } finally {
    await kafkaConsumer?.disconnect();
    await skein.close();
  }
});

test('kafkajs gzip batches on a compacted topic: after cleaning, consumers read exactly the latest value per key, and the batches are still gzip', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0, logCleanerIntervalMs: 0 });
  let kafkaConsumer: kafkajs.Consumer | undefined;
  try {
    const listener = await skein.listen({ port: 0 });
    await skein.admin.createTopics({
      topics: [{ topic: 'gz', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '4096' }] }],
    });
    const kafka = new Kafka({ clientId: 'compaction-gzip', brokers: [listener.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Each batch: 5 records over 9 keys, so every batch holds keys that later batches supersede.
    const latest = new Map<string, { value: string; offset: number }>();
    for (let i = 0; i < 60; i++) {
      const messages = Array.from({ length: 5 }, (_, j) => ({ key: `key-${(i * 5 + j) % 9}`, value: `v${i}-${j}`.padEnd(30, '.') }));
      const [meta] = await producer.send({ topic: 'gz', compression: CompressionTypes.GZIP, messages });
      messages.forEach((m, j) => latest.set(m.key, { value: m.value, offset: Number(meta!.baseOffset) + j }));
    }
    const partition = skein.broker.partitionFor('gz', 0);
    const storedBatches = () => {
      const out: ReturnType<typeof decodeRecordBatch>[] = [];
      const read = partition.log.read(0, { maxBytes: 1 << 20 });
      for (const view of read.views) for (const b of iterateBatches(view)) out.push(decodeRecordBatch(b));
      return out;
    };
    assert.ok(storedBatches().every((b) => b.compression === 'gzip'), 'kafkajs stored gzip batches');
    // Seal the active segment so the whole log is cleanable.
    partition.log.roll();
    const before = skein.broker.offsets('gz', 0).highWatermark;
    const round = await skein.broker.runLogCleaner();
    assert.is(round.partitionsCleaned, 1);
    assert.ok(round.bytesAfter < round.bytesBefore, `${round.bytesAfter} < ${round.bytesBefore}`);

    const batches = storedBatches();
    const kept = batches.flatMap((b) => b.records.map((r) => ({ key: r.key!.toString(), value: r.value!.toString(), offset: r.offset })));
    const want = [...latest].map(([key, v]) => ({ key, value: v.value, offset: v.offset })).sort((a, b) => a.offset - b.offset);
    assert.equal(kept, want, 'the log holds the latest record of each key, at its offset');
    for (const b of batches) if (b.records.length > 0) assert.is(b.compression, 'gzip', `the batch at ${b.baseOffset} is still gzip`);
    assert.ok(batches.some((b) => b.records.length > 0 && b.records.length < b.lastOffset - b.baseOffset + 1), 'a gzip batch was rewritten with fewer records');

    // The idempotent producer goes on after the pass (its sequence was kept).
    await producer.send({ topic: 'gz', compression: CompressionTypes.GZIP, messages: [{ key: 'key-0', value: 'after' }] });
    await producer.disconnect();
    const end = before + 1;
    assert.is(skein.broker.offsets('gz', 0).highWatermark, end);
    // The cleaned range holds one record per key; key-0's 'after' comes behind it.
    const expected = [...want, { key: 'key-0', value: 'after', offset: before }].map((r) => `${r.offset}:${r.key}=${r.value}`);

    const embedded: string[] = [];
    const consumer = skein.consumer({ groupId: 'embedded', maxWaitTimeInMs: 50 });
    await consumer.subscribe({ topic: 'gz', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        embedded.push(`${message.offset}:${message.key!.toString()}=${message.value!.toString()}`);
      },
    });
    const viaKafkajs: string[] = [];
    kafkaConsumer = kafka.consumer({ groupId: 'kafkajs', maxWaitTimeInMs: 50 });
    await kafkaConsumer.connect();
    await kafkaConsumer.subscribe({ topic: 'gz', fromBeginning: true });
    await kafkaConsumer.run({
      eachMessage: async ({ message }) => {
        viaKafkajs.push(`${message.offset}:${message.key!.toString()}=${message.value!.toString()}`);
      },
    });
    const isLast = (list: string[]) => list.length > 0 && list[list.length - 1]!.startsWith(`${end - 1}:`);
    await until(() => isLast(embedded) && isLast(viaKafkajs), 'both consumers at the log end');
    assert.equal(embedded, expected, 'the embedded consumer reads the latest value of each key');
    assert.equal(viaKafkajs, expected, 'kafkajs reads the latest value of each key');
  } finally {
    await kafkaConsumer?.disconnect();
    await skein.close();
  }
});

test.run();
