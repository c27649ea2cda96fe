/**
 * src/broker/broker.ts on real files: long-poll fetch (woken by the append, by its abort
 * signal, or answered at once), minBytes, per-partition errors, retention on its schedule,
 * topic metadata that survives a restart, auto-creation rules and internal topics.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { SkeinError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

/**
 * Lets every wake-up already due run: a fetch woken by an append settles within microtasks and
 * one turn, so a fetch still pending after this was not woken (an event, not a sleep).
 */
async function afterDueWork(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

const batch = (...values: string[]) => encodeRecordBatch(values.map((value) => ({ value })));

async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, String(err));
    return err.code;
  }
  return undefined;
}

test('a long-poll fetch is woken by the append that gives it data', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'd') });
  await broker.createTopic({ topic: 't', numPartitions: 2 });
  const pending = broker.fetch({ partitions: [{ topic: 't', partition: 1, fetchOffset: 0, maxBytes: 1 << 20 }], maxWaitMs: 600_000 });
  let settled = false;
  pending.then(() => (settled = true));
  await afterDueWork();
  assert.is(settled, false, 'nothing to return yet, so it waits');
  await broker.produce('t', 0, batch('other partition'), 1);
  await afterDueWork();
  assert.is(settled, false, 'an append elsewhere does not answer it');
  await broker.produce('t', 1, batch('hello'), 1);
  const result = await pending; // would take 10 minutes if the append did not wake it
  assert.is(result.partitions[0]!.bytes > 0, true);
  assert.is(result.partitions[0]!.highWatermark, 1);
  await broker.close();
});

test('minBytes holds the answer until enough data arrived; abort ends the wait; maxWaitMs 0 answers at once', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'd') });
  await broker.createTopic({ topic: 't' });
  const one = batch('x'.repeat(100)).length;
  const pending = broker.fetch({ partitions: [{ topic: 't', partition: 0, fetchOffset: 0, maxBytes: 1 << 20 }], maxWaitMs: 600_000, minBytes: one * 3 });
  let settled = false;
  pending.then(() => (settled = true));
  for (let i = 0; i < 2; i++) await broker.produce('t', 0, batch('x'.repeat(100)), 1);
  await afterDueWork();
  assert.is(settled, false, 'two batches are below minBytes');
  await broker.produce('t', 0, batch('x'.repeat(100)), 1);
  assert.is((await pending).partitions[0]!.bytes, one * 3);

  const controller = new AbortController();
  const waiting = broker.fetch({ partitions: [{ topic: 't', partition: 0, fetchOffset: 3, maxBytes: 1 << 20 }], maxWaitMs: 600_000, signal: controller.signal });
  controller.abort();
  assert.is((await waiting).partitions[0]!.bytes, 0);
  const immediate = await broker.fetch({ partitions: [{ topic: 't', partition: 0, fetchOffset: 3, maxBytes: 1 << 20 }], maxWaitMs: 0 });
  assert.is(immediate.partitions[0]!.bytes, 0);
  await broker.close();
});

test('per-partition errors: unknown partition and offset out of range, with the others answered', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'd') });
  await broker.createTopic({ topic: 't' });
  await broker.produce('t', 0, batch('a', 'b'), 1);
  const result = await broker.fetch({
    partitions: [
      { topic: 't', partition: 0, fetchOffset: 0, maxBytes: 1 << 20 },
      { topic: 't', partition: 7, fetchOffset: 0, maxBytes: 1 << 20 },
      { topic: 'nope', partition: 0, fetchOffset: 0, maxBytes: 1 << 20 },
      { topic: 't', partition: 0, fetchOffset: 99, maxBytes: 1 << 20 },
    ],
    maxWaitMs: 0,
  });
  assert.ok(result.partitions[0]!.bytes > 0);
  assert.is(result.partitions[1]!.error?.code, 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION');
  assert.is(result.partitions[2]!.error?.code, 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION');
  assert.is(result.partitions[3]!.error?.code, 'SKEIN_OFFSET_OUT_OF_RANGE');
  assert.is(result.partitions[3]!.highWatermark, 2);
  assert.equal(broker.listOffsets('t', 0, -2), { offset: 0, timestamp: -1, leaderEpoch: 0 });
  assert.equal(broker.listOffsets('t', 0, -1), { offset: 2, timestamp: -1, leaderEpoch: 0 });
  await broker.close();
});

test('retention runs on its schedule and follows each topic config', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'd'), retentionCheckIntervalMs: 20 });
  await broker.createTopic({ topic: 'short', configEntries: [{ name: 'retention.ms', value: '1000' }, { name: 'segment.bytes', value: '1024' }] });
  await broker.createTopic({ topic: 'kept', configEntries: [{ name: 'segment.bytes', value: '1024' }] });
  await broker.createTopic({ topic: 'compacted', configEntries: [{ name: 'retention.ms', value: '1000' }, { name: 'segment.bytes', value: '1024' }, { name: 'cleanup.policy', value: 'compact' }] });
  const old = Date.now() - 60_000;
  for (const topic of ['short', 'kept', 'compacted']) {
    for (let i = 0; i < 20; i++) await broker.produce(topic, 0, encodeRecordBatch([{ value: 'v'.repeat(200), timestamp: old }]), 1);
  }
  const deadline = Date.now() + 20_000;
  while (broker.offsets('short', 0).logStartOffset === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.is(broker.offsets('short', 0).logStartOffset, 20, 'everything in "short" expired');
  assert.is(broker.offsets('kept', 0).logStartOffset, 0, 'the 7-day default keeps "kept"');
  assert.is(broker.offsets('compacted', 0).logStartOffset, 0, 'cleanup.policy=compact is not deleted by time');
  await broker.close();
});

test('topic metadata and producer ids survive a restart; deleted topics stay deleted', async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir });
  await broker.createTopic({ topic: 'a', numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: '2000' }] });
  await broker.createTopic({ topic: 'b' });
  await broker.createPartitions('b', 4);
  await broker.alterConfigs('a', [{ name: 'retention.bytes', value: '1000000' }], { incremental: true });
  await broker.createTopic({ topic: 'gone' });
  await broker.deleteTopic('gone');
  const { producerId } = await broker.initProducerId();
  await broker.close();
  broker = await Broker.open({ dir });
  assert.equal(broker.listTopics(), ['a', 'b']);
  assert.is(broker.partitionCount('a'), 3);
  assert.is(broker.partitionCount('b'), 4);
  const configs = Object.fromEntries(broker.describeConfigs('a').map((c) => [c.name, c.value]));
  assert.is(configs['max.message.bytes'], '2000');
  assert.is(configs['retention.bytes'], '1000000');
  assert.ok((await broker.initProducerId()).producerId > producerId, 'producer ids never repeat');
  assert.is(await code(() => broker.produce('gone', 0, batch('x'), 1)), 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION');
  await broker.close();
});

test('auto-creation, internal topics and closed brokers', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'd'), numPartitions: 3 });
  await broker.ensureTopic('auto');
  assert.is(broker.partitionCount('auto'), 3);
  assert.is(await code(() => broker.ensureTopic('manual', false)), 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION');
  assert.is(await code(() => broker.ensureTopic('bad/name')), 'SKEIN_INVALID_TOPIC');
  assert.ok(broker.listTopics(true).includes('__consumer_offsets'));
  assert.not.ok(broker.listTopics().includes('__consumer_offsets'));
  assert.is(await code(() => broker.produce('__consumer_offsets', 0, batch('x'), 1)), 'SKEIN_INVALID_TOPIC');
  assert.is(await code(() => broker.createTopic({ topic: '__consumer_offsets' })), 'SKEIN_INVALID_TOPIC');
  assert.is(await code(() => broker.deleteTopic('__consumer_offsets')), 'SKEIN_INVALID_TOPIC');
  await broker.close();
  await broker.close();
  assert.is(await code(() => broker.produce('auto', 0, batch('x'), 1)), 'SKEIN_CLOSED');
  assert.is(await code(() => Broker.open({ dir: join(tempDir(), 'd2'), numPartitions: 0 })), 'SKEIN_INVALID_PARTITIONS');
});

test.run();
