/**
 * kafkajs 2.2.4 against `skein.listen()` over a real socket: admin calls, 100,000 keyed
 * records consumed by a group of two consumers of which one leaves half way (nothing lost,
 * per-key order kept, positions committed, a later member of the group starts after them),
 * and the idempotent producer.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import kafkajs, { type Consumer, type Kafka as KafkaClient } from 'kafkajs';
import { readBaseOffset, readLastOffset, readProducerId } from '../../src/records/batch-header.js';
import { iterateBatches } from '../../src/records/record-iterator.js';
import { cleanupTempDirs } from '../helpers/temp-dir.js';
import { serveSkein, until, type Served } from './helpers/skein-server.js';

let served: Served;
// kafkajs is CommonJS: its exports come through the default import.
const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
let kafka: KafkaClient;

test.before(async () => {
  served = await serveSkein();
  kafka = new Kafka({ clientId: 'interop', brokers: [served.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
});

test.after(async () => {
  await served.close();
  cleanupTempDirs();
});

test('admin: createTopics, listTopics, createPartitions, describeConfigs, alterConfigs, deleteTopics', async () => {
  const admin = kafka.admin();
  await admin.connect();
  assert.is(await admin.createTopics({ topics: [{ topic: 'scratch', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }), true);
  assert.is(await admin.createTopics({ topics: [{ topic: 'scratch', numPartitions: 2 }] }), false, 'an existing topic is not created again');
  assert.ok((await admin.listTopics()).includes('scratch'));

  await admin.createPartitions({ topicPartitions: [{ topic: 'scratch', count: 3 }] });
  const metadata = await admin.fetchTopicMetadata({ topics: ['scratch'] });
  assert.is(metadata.topics[0]!.partitions.length, 3);

  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'scratch', configNames: ['retention.ms', 'cleanup.policy'] }] });
  const entries = Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
  assert.is(entries['retention.ms']!.configValue, '3600000');
  assert.is(entries['retention.ms']!.isDefault, false);
  assert.is(entries['cleanup.policy']!.configValue, 'delete');
  assert.is(entries['cleanup.policy']!.isDefault, true);

  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'scratch', configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
  const altered = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'scratch', configNames: ['retention.ms'] }] });
  assert.is(altered.resources[0]!.configEntries[0]!.configValue, '60000');

  const refused = await admin.createTopics({ topics: [{ topic: 'bad topic!', numPartitions: 1 }] }).then(
    () => null,
    (err: { name?: string; errors?: Array<{ type?: string }> }) => err,
  );
  assert.ok(refused, 'an invalid topic name is refused');

  await admin.deleteTopics({ topics: ['scratch'] });
  assert.not.ok((await admin.listTopics()).includes('scratch'));
  assert.not.ok(served.skein.broker.hasTopic('scratch'));
  await admin.disconnect();
});

const TOTAL = 100_000;
const KEYS = 500;
const PARTITIONS = 6;

test('a group of two consumes 100,000 keyed records while one member leaves half way', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: PARTITIONS }] });

  // Per key, the highest sequence number delivered so far; a record arriving before its
  // predecessor was delivered breaks per-key order. Redelivery after a rebalance is allowed.
  const maxSeq = new Map<string, number>();
  const seen = new Set<string>();
  const orderViolations: string[] = [];
  const byConsumer = new Map<string, number>();
  let delivered = 0;
  let phaseTwo = false;
  // Set by the handler that delivers record TOTAL/2: c2 leaves exactly half way, however fast the machine.
  let leaving: Promise<void> | undefined;
  let leaveHalfWay: () => Promise<void> = async () => {};
  const lateOld: string[] = [];
  const lateNew = new Set<string>();

  const start = async (name: string): Promise<{ consumer: Consumer; assigned: () => number }> => {
    const consumer = kafka.consumer({ groupId: 'orders-group', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100, rebalanceTimeout: 10_000 });
    let assigned = 0;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assigned = Object.values(e.payload.memberAssignment).reduce((n, ps) => n + ps.length, 0);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key!.toString();
        const [phase, seqText] = message.value!.toString().split(':');
        if (phase === 'late') {
          if (name === 'c3') lateNew.add(`${key}:${seqText}`);
          return;
        }
        if (name === 'c3') {
          lateOld.push(`${key}:${seqText}`);
          return;
        }
        const seq = Number(seqText);
        const max = maxSeq.get(key) ?? -1;
        if (seq > max + 1) orderViolations.push(`${key}: ${seq} delivered before ${max + 1}`);
        if (seq > max) maxSeq.set(key, seq);
        seen.add(`${key}:${seq}`);
        delivered += 1;
        if (delivered === TOTAL / 2) leaving = leaveHalfWay(); // not awaited: stopping waits for this handler
        byConsumer.set(name, (byConsumer.get(name) ?? 0) + 1);
      },
    });
    return { consumer, assigned: () => assigned };
  };

  const c1 = await start('c1');
  const c2 = await start('c2');
  leaveHalfWay = () => c2.consumer.disconnect(); // leaves the group; c1 takes over its partitions
  await until(() => c1.assigned() === PARTITIONS / 2 && c2.assigned() === PARTITIONS / 2, 'both members to hold 3 partitions each');
  const groups = await admin.describeGroups(['orders-group']);
  assert.is(groups.groups[0]!.members.length, 2);
  assert.is(groups.groups[0]!.protocol, 'RoundRobinAssigner');
  assert.ok((await admin.listGroups()).groups.some((g) => g.groupId === 'orders-group'));

  const producer = kafka.producer();
  await producer.connect();
  const next = new Map<string, number>();
  for (let sent = 0; sent < TOTAL; ) {
    const messages = [];
    for (let i = 0; i < 5000; i++, sent++) {
      const key = `key-${sent % KEYS}`;
      const seq = next.get(key) ?? 0;
      next.set(key, seq + 1);
      messages.push({ key, value: `main:${seq}` });
    }
    await producer.send({ topic: 'orders', acks: -1, messages });
  }

  await until(() => leaving !== undefined, 'half of the records');
  await leaving;
  await until(() => seen.size === TOTAL, 'every record', 120_000);
  await until(() => c1.assigned() === PARTITIONS, 'c1 to own every partition after c2 left');
  await c1.consumer.disconnect();

  assert.equal(orderViolations, []);
  assert.is(seen.size, TOTAL);
  assert.ok((byConsumer.get('c1') ?? 0) > 0 && (byConsumer.get('c2') ?? 0) > 0, 'both members consumed');

  const ends = await admin.fetchTopicOffsets('orders');
  assert.is(ends.reduce((n, p) => n + Number(p.high), 0), TOTAL);
  const committed = await admin.fetchOffsets({ groupId: 'orders-group', topics: ['orders'] });
  const committedByPartition = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
  for (const end of ends) assert.is(committedByPartition.get(end.partition), end.high, `partition ${end.partition} committed at its end`);

  // A member joining later starts from the group's committed positions, not from the beginning.
  phaseTwo = true;
  const lateMessages = Array.from({ length: 60 }, (_, i) => ({ key: `late-${i}`, value: `late:${i}` }));
  await producer.send({ topic: 'orders', messages: lateMessages });
  const c3 = await start('c3');
  await until(() => lateNew.size === 60, 'the 60 late records');
  await c3.consumer.disconnect();
  assert.ok(phaseTwo);
  assert.equal(lateOld, [], 'the new member got nothing the group had already committed');

  await producer.disconnect();
  await admin.disconnect();
  assert.equal(served.problems, []);
});

test('the idempotent producer gets a producer id and writes each record once', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 3 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let round = 0; round < 10; round++) {
    await producer.send({ topic: 'idem', acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `${round}-${i}` })) });
  }
  await producer.disconnect();
  const ends = await admin.fetchTopicOffsets('idem');
  assert.is(ends.reduce((n, p) => n + Number(p.high), 0), 1000);
  const { partitions } = await served.skein.broker.fetch({ partitions: [0, 1, 2].map((partition) => ({ topic: 'idem', partition, fetchOffset: 0, maxBytes: 1 << 20 })), maxWaitMs: 0 });
  const producerIds = new Set<number>();
  const previousEnd = new Map<number, number>();
  for (const p of partitions) {
    for (const view of p.records) {
      for (const batch of iterateBatches(view)) {
        producerIds.add(readProducerId(batch, 0));
        const base = readBaseOffset(batch, 0);
        assert.is(base, previousEnd.get(p.partition) ?? 0, 'batches follow each other without gaps or repeats');
        previousEnd.set(p.partition, readLastOffset(batch, 0) + 1);
      }
    }
  }
  assert.is(producerIds.size, 1);
  assert.ok([...producerIds][0]! >= 0, 'batches carry the producer id InitProducerId gave');
  await admin.disconnect();
});

test.run();
