/**
 * The two front doors in one consumer group: an embedded consumer (src/client, offering
 * kafkajs's assignor name 'RoundRobinAssigner') and a kafkajs consumer over the protocol
 * server join the same group on the same broker, split the partitions between them, and
 * together deliver every record exactly once.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { cleanupTempDirs } from '../helpers/temp-dir.js';
import { serveSkein, until } from './helpers/skein-server.js';

const { Kafka, logLevel } = kafkajs;
const PARTITIONS = 4;
const TOTAL = 2000;

test.after(cleanupTempDirs);

test('an embedded consumer and a kafkajs consumer share a group and each record is delivered once', async () => {
  const served = await serveSkein();
  const { skein } = served;
  await skein.admin.createTopics({ topics: [{ topic: 'shared', numPartitions: PARTITIONS }] });

  const deliveries = new Map<string, string[]>(); // value → who delivered it
  const partitionsOf = { embedded: new Set<number>(), kafkajs: new Set<number>() };
  const note = (who: 'embedded' | 'kafkajs', partition: number, value: string) => {
    deliveries.set(value, [...(deliveries.get(value) ?? []), who]);
    partitionsOf[who].add(partition);
  };

  const embedded = skein.consumer({ groupId: 'mixed', clientId: 'embedded', partitionAssigners: ['RoundRobinAssigner'], heartbeatInterval: 200, sessionTimeout: 10_000, maxWaitTimeInMs: 100 });
  await embedded.subscribe({ topic: 'shared', fromBeginning: true });
  await embedded.run({ eachMessage: async ({ partition, message }) => note('embedded', partition, message.value!.toString()) });

  const kafka = new Kafka({ clientId: 'mixed-kafkajs', brokers: [served.bootstrap], logLevel: logLevel.NOTHING });
  const remote = kafka.consumer({ groupId: 'mixed', sessionTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 100 });
  let remoteAssigned = 0;
  remote.on(remote.events.GROUP_JOIN, (e) => {
    remoteAssigned = Object.values(e.payload.memberAssignment).reduce((n, ps) => n + ps.length, 0);
  });
  await remote.connect();
  await remote.subscribe({ topic: 'shared', fromBeginning: true });
  await remote.run({ eachMessage: async ({ partition, message }) => note('kafkajs', partition, message.value!.toString()) });

  await until(() => embedded.assignment().length === PARTITIONS / 2 && remoteAssigned === PARTITIONS / 2, 'the two members to split the partitions');
  const group = await skein.admin.describeGroup('mixed');
  assert.is(group.members.length, 2);

  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < TOTAL; i += 200) {
    await producer.send({ topic: 'shared', messages: Array.from({ length: 200 }, (_, j) => ({ key: `k${(i + j) % 50}`, value: String(i + j) })) });
  }
  await until(() => deliveries.size === TOTAL, 'every record');
  await producer.disconnect();
  await remote.disconnect();
  await embedded.disconnect();

  const twice = [...deliveries].filter(([, who]) => who.length !== 1);
  assert.equal(twice, [], 'no record delivered twice');
  assert.ok(partitionsOf.embedded.size > 0 && partitionsOf.kafkajs.size > 0, 'both members consumed');
  assert.equal([...partitionsOf.embedded].filter((p) => partitionsOf.kafkajs.has(p)), [], 'no partition read by both');
  assert.equal(served.problems, []);
  await served.close();
});

test.run();
