/**
 * `__consumer_offsets` read as Kafka tools read it: a kafkajs consumer group commits, then a
 * plain kafkajs consumer reads the internal topic and decodes every record with a decoder
 * written here from apache/kafka's published schemas (OffsetCommitKey/OffsetCommitValue,
 * GroupMetadataKey/GroupMetadataValue: int16 version, then the fields, big-endian), finding
 * the group's offsets and its generation in the partition Kafka would put them in
 * (abs(javaHash(group)) % 50). Then the broker restarts on the same folder and the group goes
 * on from its committed offsets; kcat -G (librdkafka) joins a group on it too.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import kafkajs, { type Kafka as KafkaClient } from 'kafkajs';
import { Skein, type Listener } from '../../src/client/skein.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { until } from './helpers/skein-server.js';

const { Kafka, logLevel } = kafkajs;

/* ---- A decoder of Kafka's __consumer_offsets records, from the published JSON schemas ---- */

class In {
  pos = 0;
  constructor(readonly b: Buffer) {}
  i16(): number {
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): bigint {
    const v = this.b.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  str(): string | null {
    const n = this.i16();
    if (n < 0) return null;
    const s = this.b.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  bytes(): Buffer {
    const n = this.i32();
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  get done(): boolean {
    return this.pos === this.b.length;
  }
}

type Decoded =
  | { kind: 'offset'; group: string; topic: string; partition: number; value: { offset: bigint; leaderEpoch: number; metadata: string; commitTimestamp: bigint } | null }
  | { kind: 'group'; group: string; value: { protocolType: string; generation: number; protocol: string | null; leader: string | null; members: Array<{ memberId: string; clientId: string; assignment: Buffer }> } | null };

function decode(key: Buffer, value: Buffer | null): Decoded {
  const k = new In(key);
  const keyVersion = k.i16();
  if (keyVersion === 1) {
    const group = k.str()!;
    const topic = k.str()!;
    const partition = k.i32();
    assert.ok(k.done, 'OffsetCommitKey has nothing after its fields');
    if (!value) return { kind: 'offset', group, topic, partition, value: null };
    const v = new In(value);
    assert.is(v.i16(), 3, 'OffsetCommitValue version 3, what Kafka writes');
    const decoded = { offset: v.i64(), leaderEpoch: v.i32(), metadata: v.str()!, commitTimestamp: v.i64() };
    assert.ok(v.done, 'OffsetCommitValue v3 has nothing after commitTimestamp');
    return { kind: 'offset', group, topic, partition, value: decoded };
  }
  assert.is(keyVersion, 2, 'key version 1 (offset commit) or 2 (group metadata)');
  const group = k.str()!;
  assert.ok(k.done);
  if (!value) return { kind: 'group', group, value: null };
  const v = new In(value);
  assert.is(v.i16(), 3, 'GroupMetadataValue version 3');
  const protocolType = v.str()!;
  const generation = v.i32();
  const protocol = v.str();
  const leader = v.str();
  v.i64(); // currentStateTimestamp
  const members = [];
  for (let n = v.i32(); n > 0; n--) {
    const memberId = v.str()!;
    v.str(); // groupInstanceId
    const clientId = v.str()!;
    v.str(); // clientHost
    v.i32(); // rebalanceTimeout
    v.i32(); // sessionTimeout
    v.bytes(); // subscription
    members.push({ memberId, clientId, assignment: Buffer.from(v.bytes()) });
  }
  assert.ok(v.done, 'GroupMetadataValue v3 has nothing after its members');
  return { kind: 'group', group, value: { protocolType, generation, protocol, leader, members } };
}

/** Java's String.hashCode, written again here so the test does not trust the code under test. */
function javaHash(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) % 2n ** 32n;
  return Number(BigInt.asIntN(32, h));
}

/* ---- The broker ---- */

const dir = tempDir('skein-offsets-topic-');
let skein: Skein;
let listener: Listener;
let kafka: KafkaClient;

async function start(): Promise<void> {
  skein = await Skein.open({ dir, groupInitialRebalanceDelayMs: 50 });
  listener = await skein.listen({ port: 0 });
  kafka = new Kafka({ clientId: 'offsets-topic', brokers: [listener.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
}

test.before(start);

test.after(async () => {
  await skein.close();
  cleanupTempDirs();
});

const GROUP = 'ledger-Grüße';

test('a kafkajs group commits; a plain kafkajs consumer of __consumer_offsets decodes Kafka\'s records', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < 3; p++) await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `v${p}-${i}` })) });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  let seen = 0;
  await consumer.run({ eachMessage: async () => void seen++ });
  const committed = async () => (await admin.fetchOffsets({ groupId: GROUP, topics: ['orders'] }))[0]!.partitions.map((p) => Number(p.offset));
  try {
    await until(() => seen === 30, 'the group consumed 30 records', 30_000);
    for (let i = 0; i < 300 && (await committed()).some((o) => o !== 10); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await committed(), [10, 10, 10]);
  } finally {
    await consumer.disconnect();
  }

  const topics = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
  assert.is(topics.topics[0]!.partitions.length, 50, 'offsets.topic.num.partitions');
  await admin.disconnect();

  // A plain consumer of the internal topic, as Burrow or kafka-console-consumer would read it.
  const reader = kafka.consumer({ groupId: 'inspector', maxWaitTimeInMs: 100 });
  const records: Array<Decoded & { at: number }> = [];
  await reader.connect();
  await reader.subscribe({ topic: '__consumer_offsets', fromBeginning: true });
  await reader.run({ eachMessage: async ({ partition, message }) => void records.push({ ...decode(message.key!, message.value), at: partition }) });
  try {
    const ours = () => records.filter((r) => r.group === GROUP);
    await until(() => ours().some((r) => r.kind === 'offset' && r.value?.offset === 10n && r.partition === 2) && ours().some((r) => r.kind === 'group'), 'the group\'s records', 30_000);
  } finally {
    await reader.disconnect();
  }
  const ours = records.filter((r) => r.group === GROUP);
  const hash = javaHash(GROUP);
  const home = (hash === -2147483648 ? 0 : Math.abs(hash)) % 50;
  for (const r of ours) assert.is(r.at, home, `every record of ${GROUP} in partition abs(hash) % 50 = ${home}`);
  const last = new Map<number, bigint>();
  for (const r of ours) if (r.kind === 'offset' && r.topic === 'orders' && r.value) last.set(r.partition, r.value.offset);
  assert.equal([...last.entries()].sort(), [[0, 10n], [1, 10n], [2, 10n]]);
  const generations = ours.filter((r): r is Extract<Decoded, { kind: 'group' }> & { at: number } => r.kind === 'group' && r.value !== null && r.value.members.length > 0);
  assert.ok(generations.length > 0, 'a GroupMetadataValue with members');
  const g = generations[generations.length - 1]!.value!;
  assert.is(g.protocolType, 'consumer');
  assert.is(g.protocol, 'RoundRobinAssigner');
  assert.is(g.members[0]!.clientId, 'offsets-topic');
  assert.is(g.leader, g.members[0]!.memberId);
  assert.ok(g.members[0]!.assignment.length > 0, 'the member\'s assignment bytes');
  // The group left when the consumer disconnected: its last generation is Empty.
  const finalGroup = ours.filter((r) => r.kind === 'group').at(-1)!;
  assert.is(finalGroup.kind === 'group' && finalGroup.value?.members.length, 0, 'the last generation, after the member left, is empty');
});

test('after a restart the group resumes from its committed offsets', async () => {
  await skein.close();
  await start();
  const admin = kafka.admin();
  await admin.connect();
  const offsets = (await admin.fetchOffsets({ groupId: GROUP, topics: ['orders'] }))[0]!.partitions.map((p) => Number(p.offset));
  assert.equal(offsets, [10, 10, 10]);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [{ partition: 1, value: 'after-restart' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  try {
    await until(() => values.length >= 1, 'the record produced after the restart', 30_000);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
  assert.equal(values, ['after-restart'], 'only what came after the committed offsets');
});

test('kcat -G (librdkafka) consumes as a group and its commits land in the group\'s partition', async () => {
  if (spawnSync('which', ['kcat']).status !== 0) {
    process.stdout.write('  kcat not installed: skipped\n');
    return;
  }
  // Asynchronously: the broker answering kcat runs on this event loop.
  const run = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile('kcat', ['-b', listener.bootstrap, '-G', 'kcat-readers', '-o', 'beginning', '-e', '-q', '-f', '%s\n', '-X', 'auto.commit.interval.ms=100', 'orders'], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout.trim().split('\n').length, 31, 'every record of orders');
  const offsets = await skein.broker.groups.fetchOffsets({ groupId: 'kcat-readers', partitions: [0, 1, 2].map((partition) => ({ topic: 'orders', partition })) });
  assert.equal(offsets.map((o) => o.offset), [10, 11, 10], 'kcat committed its positions on exit');
  const home = Math.abs(javaHash('kcat-readers')) % 50;
  assert.ok(skein.broker.offsets('__consumer_offsets', home).highWatermark > 0, `records in partition ${home}`);
});

test.run();
