/**
 * kafkajs 2.2.4 talking to Skein as to an old Kafka: a proxy caps what ApiVersions advertises
 * (Produce ≤ 2, Fetch ≤ 3, ListOffsets ≤ 0, OffsetCommit ≤ 1, OffsetFetch ≤ 1), so kafkajs picks
 * those versions itself, as Go, Python and Java clients of that era do. It produces magic 1
 * message sets, consumes them converted down from the stored RecordBatch v2, and commits as a
 * group with OffsetCommit v1; a second member resumes after the commits, and no request
 * closed a connection (a refused commit used to take the in-flight Fetch with it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { cleanupTempDirs } from '../helpers/temp-dir.js';
import { serveSkein, until, type Served } from './helpers/skein-server.js';
import { versionCappingProxy, type CappingProxy } from './helpers/version-capping-proxy.js';

const { Kafka, logLevel } = kafkajs;

let served: Served;
let proxy: CappingProxy;

test.before(async () => {
  proxy = await versionCappingProxy({ 0: 2, 1: 3, 2: 0, 8: 1, 9: 1 });
  served = await serveSkein({ advertisedPort: proxy.port });
  proxy.target(served.listener.port);
});

test.after(async () => {
  await served.close();
  await proxy.close();
  cleanupTempDirs();
});

test('kafkajs on Produce v2 / Fetch v3 / OffsetCommit v1: produce, consume as a group, commit, resume', async () => {
  const kafka = new Kafka({ clientId: 'old', brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'legacy', numPartitions: 2 }] });
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  const sent = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 10}`, value: `value-${i}`, timestamp: String(1700000000000 + i) }));
  await producer.send({ topic: 'legacy', messages: sent.slice(0, 100) });
  await producer.send({ topic: 'legacy', messages: sent.slice(100) });

  const seen: Array<{ value: string; timestamp: string; partition: number; offset: string }> = [];
  const first = kafka.consumer({ groupId: 'legacy-group', heartbeatInterval: 100 });
  await first.connect();
  await first.subscribe({ topic: 'legacy', fromBeginning: true });
  await first.run({ autoCommitInterval: 50, eachMessage: async ({ partition, message }) => void seen.push({ value: message.value!.toString(), timestamp: message.timestamp, partition, offset: message.offset }) });
  await until(() => seen.length >= 200, 'the first member reads everything');
  await first.disconnect(); // commits what it read (OffsetCommit v1) on the way out

  assert.equal(seen.map((m) => m.value).sort(), sent.map((m) => m.value).sort());
  // Magic 1 carries the producer's timestamps through the conversion both ways.
  const byValue = new Map(sent.map((m) => [m.value, m.timestamp]));
  assert.ok(seen.every((m) => byValue.get(m.value) === m.timestamp));

  await producer.send({ topic: 'legacy', messages: [{ key: 'k0', value: 'after-commit' }] });
  await producer.disconnect();
  const later: string[] = [];
  const second = kafka.consumer({ groupId: 'legacy-group', heartbeatInterval: 100 });
  await second.connect();
  await second.subscribe({ topic: 'legacy', fromBeginning: true });
  await second.run({ eachMessage: async ({ message }) => void later.push(message.value!.toString()) });
  await until(() => later.includes('after-commit'), 'the second member reads the new record');
  await second.disconnect();
  assert.equal(later, ['after-commit'], 'the second member resumed after the committed offsets');

  const used = new Map<number, Set<number>>();
  for (const r of proxy.requests) used.set(r.apiKey, (used.get(r.apiKey) ?? new Set()).add(r.apiVersion));
  assert.equal([...used.get(0)!], [2], 'Produce v2');
  assert.equal([...used.get(1)!], [3], 'Fetch v3');
  assert.equal([...used.get(8)!], [1], 'OffsetCommit v1');
  assert.equal([...used.get(9)!], [1], 'OffsetFetch v1');
  assert.equal([...used.get(2)!], [0], 'ListOffsets v0');
  assert.equal(served.problems, [], 'no request closed a connection');
});

test.run();
