/**
 * Topic deletion and creation are atomic from a reader's point of view (topic ids, KIP-516):
 * a crash between the deletion record and the folders' removal never lets a re-created topic
 * of the same name serve the old records, and leaves no folders behind; committed offsets die
 * with their topic; a creation that fails or is cut short leaves no topic and no folders;
 * partition limits refuse a request whole. The "crash" states are built exactly as a SIGKILL
 * leaves them (metadata record stored, nothing after it); test/crash/ kills real processes.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { MetadataLog } from '../../src/broker/metadata-log.js';
import { SkeinError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { withTimeout } from '../helpers/timeout.js';

test.after(cleanupTempDirs);

const SMALL = [{ name: 'segment.bytes', value: '65536' }];
const batch = (...values: string[]) => encodeRecordBatch(values.map((value) => ({ value })));

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SkeinError, String(err));
    return err.code;
  }
  return undefined;
}

async function values(broker: Broker, topic: string, partition: number): Promise<string[]> {
  const result = await broker.fetch({ partitions: [{ topic, partition, fetchOffset: 0, maxBytes: 1 << 20 }], maxWaitMs: 0 });
  const out: string[] = [];
  for (const view of result.partitions[0]!.records) for (const b of iterateBatches(Buffer.from(view))) for (const r of iterateRecords(b)) out.push(r.value!.toString());
  return out;
}

function folders(dir: string, topic: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(`${topic}-`)).sort();
}

/** What a SIGKILL right after DeleteTopics' commit point leaves: the record stored, every folder still there. */
async function recordDeletionOnly(dir: string, topic: string): Promise<void> {
  const log = await PartitionLog.open(join(dir, '__skein_metadata-0'), { config: { flushMessages: 1 } });
  const metadata = await MetadataLog.load(log);
  await metadata.append({ type: 'topic-deleted', topic });
  await log.close();
}

test('a topic re-created after a crash mid-deletion serves none of the old records, and the old folders are gone', withTimeout(20_000, async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir });
  await broker.createTopic({ topic: 'orders', numPartitions: 4, configEntries: SMALL });
  for (let p = 0; p < 4; p++) await broker.produce('orders', p, batch(`old-${p}-a`, `old-${p}-b`), -1);
  await broker.close();
  await recordDeletionOnly(dir, 'orders');
  assert.is(folders(dir, 'orders').length, 4, 'the crash left the folders');

  broker = await Broker.open({ dir });
  assert.equal(broker.listTopics(), []);
  assert.equal(folders(dir, 'orders').filter((n) => !n.endsWith('.deleted')), [], 'no live folder of the deleted topic after open');
  await broker.createTopic({ topic: 'orders', numPartitions: 4, configEntries: SMALL });
  for (let p = 0; p < 4; p++) assert.equal(await values(broker, 'orders', p), [], `partition ${p} of the new topic is empty`);
  await broker.produce('orders', 0, batch('new'), -1);
  await broker.close();
  broker = await Broker.open({ dir });
  assert.equal(await values(broker, 'orders', 0), ['new']);
  assert.equal(await values(broker, 'orders', 1), []);
  await broker.close();
  assert.equal(folders(dir, 'orders'), ['orders-0', 'orders-1', 'orders-2', 'orders-3']);
}));

test('a folder whose topic id is not the live topic\'s is replaced before anything reads it', withTimeout(20_000, async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir });
  await broker.createTopic({ topic: 't', numPartitions: 1, configEntries: SMALL });
  const firstId = broker.topicId('t');
  await broker.produce('t', 0, batch('first life'), -1);
  await broker.deleteTopic('t');
  await broker.createTopic({ topic: 't', numPartitions: 1, configEntries: SMALL });
  assert.ok(firstId && broker.topicId('t') && broker.topicId('t') !== firstId, 'each incarnation has its own id');
  assert.equal(await values(broker, 't', 0), []);
  await broker.close();
  assert.match(String(readdirSync(join(dir, 't-0'))), /partition\.metadata/);
  broker = await Broker.open({ dir });
  assert.equal(await values(broker, 't', 0), []);
  await broker.close();
}));

test('a folder stamped with an id the metadata log never saw is set aside, neither served nor deleted', withTimeout(20_000, async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir, onWarning: () => {} });
  await broker.createTopic({ topic: 't', numPartitions: 1, configEntries: SMALL });
  await broker.produce('t', 0, batch('foreign?'), -1);
  await broker.close();
  writeFileSync(join(dir, 't-0', 'partition.metadata'), 'version: 0\nowner_id: 00000000-0000-0000-0000-000000000000\n');
  const warnings: string[] = [];
  broker = await Broker.open({ dir, onWarning: (m) => warnings.push(m) });
  assert.equal(await values(broker, 't', 0), [], 'not served');
  await broker.close();
  const aside = readdirSync(dir).filter((n) => n.startsWith('t-0-') && n.endsWith('.stray'));
  assert.is(aside.length, 1, 'kept aside');
  assert.ok(readdirSync(join(dir, aside[0]!)).some((n) => n.endsWith('.log')), 'with its data');
  assert.ok(warnings.some((w) => w.includes('set aside')), warnings.join('; '));
}));

test('data folders from before topic ids still open and are adopted by their topic', withTimeout(20_000, async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir });
  await broker.createTopic({ topic: 'legacy', numPartitions: 2, configEntries: SMALL });
  await broker.produce('legacy', 1, batch('kept'), -1);
  await broker.close();
  // Make it look like a folder written by a version without topic ids.
  for (const p of [0, 1]) writeFileSync(join(dir, `legacy-${p}`, 'partition.metadata'), 'version: 0\n');
  broker = await Broker.open({ dir });
  assert.equal(await values(broker, 'legacy', 1), ['kept']);
  const id = broker.topicId('legacy');
  await broker.close();
  broker = await Broker.open({ dir });
  assert.is(broker.topicId('legacy'), id, 'the adopted id is stable');
  assert.equal(await values(broker, 'legacy', 1), ['kept']);
  await broker.close();
}));

async function commit100(broker: Broker, topic: string, partitions: number): Promise<void> {
  await broker.groups.commitOffsets({
    groupId: 'g',
    generationId: -1,
    memberId: '',
    offsets: Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 100 })),
  });
}

async function committed(broker: Broker, topic: string, partitions: number): Promise<number[]> {
  const offsets = await broker.groups.fetchOffsets({ groupId: 'g', partitions: Array.from({ length: partitions }, (_, partition) => ({ topic, partition })) });
  return offsets.map((o) => o.offset);
}

async function fill(broker: Broker, topic: string, partitions: number, each: number): Promise<void> {
  for (let p = 0; p < partitions; p++) await broker.produce(topic, p, batch(...Array.from({ length: each }, (_, i) => `r${i}`)), -1);
}

test('committed offsets die with their topic: a re-created topic is consumed from its start', withTimeout(20_000, async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir });
  await broker.createTopic({ topic: 'orders', numPartitions: 3, configEntries: SMALL });
  await fill(broker, 'orders', 3, 100);
  await commit100(broker, 'orders', 3);
  await broker.deleteTopic('orders');
  await broker.createTopic({ topic: 'orders', numPartitions: 3, configEntries: SMALL });
  await fill(broker, 'orders', 3, 300);
  assert.equal(await committed(broker, 'orders', 3), [-1, -1, -1], 'nothing committed for the new topic');
  await broker.close();
  broker = await Broker.open({ dir });
  assert.equal(await committed(broker, 'orders', 3), [-1, -1, -1], 'the removal is durable');
  await commit100(broker, 'orders', 3);
  assert.equal(await committed(broker, 'orders', 3), [100, 100, 100], 'the new topic takes commits');
  await broker.close();
}));

test('committed offsets die with their topic even when a crash followed the deletion record', withTimeout(20_000, async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir });
  await broker.createTopic({ topic: 'orders', numPartitions: 3, configEntries: SMALL });
  await fill(broker, 'orders', 3, 100);
  await commit100(broker, 'orders', 3);
  await broker.close();
  await recordDeletionOnly(dir, 'orders');
  broker = await Broker.open({ dir });
  await broker.createTopic({ topic: 'orders', numPartitions: 3, configEntries: SMALL });
  await fill(broker, 'orders', 3, 300);
  assert.equal(await committed(broker, 'orders', 3), [-1, -1, -1]);
  await broker.close();
}));

test('a creation that fails half way leaves no topic listed and no folders behind', withTimeout(20_000, async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir });
  // A plain file where partition 5's folder must go: creating that partition fails.
  writeFileSync(join(dir, 'half-5'), 'in the way');
  const failed = await code(broker.createTopic({ topic: 'half', numPartitions: 10, configEntries: SMALL }));
  assert.ok(failed, 'the creation fails');
  assert.equal(broker.listTopics(), []);
  assert.equal(folders(dir, 'half').filter((n) => !n.endsWith('.deleted')), ['half-5'], 'only the file that was in the way');
  await broker.close();
  broker = await Broker.open({ dir });
  assert.equal(broker.listTopics(), [], 'still no topic after a restart');
  await broker.close();
}));

test('close() during a large creation returns without waiting for it, and the creation leaves nothing', withTimeout(60_000, async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir });
  const creating = broker.createTopic({ topic: 'big', numPartitions: 2000, configEntries: SMALL });
  // Close as soon as the first partition folder exists.
  while (!existsSync(join(dir, 'big-0'))) await new Promise((r) => setImmediate(r));
  await broker.close();
  assert.is(await code(creating), 'SKEIN_CLOSED');
  broker = await Broker.open({ dir });
  assert.equal(broker.listTopics(), []);
  assert.equal(folders(dir, 'big').filter((n) => !n.endsWith('.deleted')), [], 'an interrupted creation leaves no folder');
  await broker.close();
}));

test('a committed partition that cannot open at start-up fails the open and removes nothing', withTimeout(20_000, async () => {
  const dir = join(tempDir(), 'd');
  let broker = await Broker.open({ dir });
  await broker.createTopic({ topic: 'kept', numPartitions: 3, configEntries: SMALL });
  for (let p = 0; p < 3; p++) await broker.produce('kept', p, batch(`v${p}`), -1);
  await broker.close();
  renameSync(join(dir, 'kept-2'), join(dir, 'elsewhere'));
  writeFileSync(join(dir, 'kept-2'), 'not a folder');
  assert.ok(await code(Broker.open({ dir })), 'the open fails');
  assert.ok(existsSync(join(dir, 'kept-0')) && existsSync(join(dir, 'kept-1')), 'the partitions that opened are still there');
  rmSync(join(dir, 'kept-2'));
  renameSync(join(dir, 'elsewhere'), join(dir, 'kept-2'));
  broker = await Broker.open({ dir });
  for (let p = 0; p < 3; p++) assert.equal(await values(broker, 'kept', p), [`v${p}`]);
  await broker.close();
}));

test('partition limits refuse a request whole with SKEIN_POLICY_VIOLATION', withTimeout(20_000, async () => {
  const dir = join(tempDir(), 'd');
  const broker = await Broker.open({ dir, maxPartitionsPerRequest: 8, maxBrokerPartitions: 12 });
  assert.is(await code(broker.createTopic({ topic: 'huge', numPartitions: 9 })), 'SKEIN_POLICY_VIOLATION');
  await broker.createTopic({ topic: 'a', numPartitions: 8, configEntries: SMALL });
  assert.is(await code(broker.createTopic({ topic: 'b', numPartitions: 5 })), 'SKEIN_POLICY_VIOLATION');
  assert.is(await code(broker.createPartitions('a', 13)), 'SKEIN_POLICY_VIOLATION');
  await broker.createPartitions('a', 12);
  assert.equal(broker.listTopics(), ['a']);
  assert.equal(folders(dir, 'huge'), []);
  assert.equal(folders(dir, 'b'), []);
  assert.is(broker.partitionCount('a'), 12);
  await broker.close();
  assert.is(await code(Broker.open({ dir, maxBrokerPartitions: 0 })), 'SKEIN_INVALID_ARGUMENT');
}));

test.run();
