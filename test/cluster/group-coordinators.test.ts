/**
 * Group coordinators in a cluster of three real broker processes on a real etcd: the first
 * FindCoordinator creates `__consumer_offsets` through the controller (50 partitions, 3
 * replicas, compacted), every broker names the same coordinator for a group — the leader of
 * partition abs(javaHash(group)) % 50 — different groups land on different brokers, a group
 * request to another broker gets NOT_COORDINATOR, and a kafkajs group commits through its
 * coordinator. Then the coordinator is SIGKILLed: its partition of __consumer_offsets moves to an
 * in-sync follower, which loads the group's offsets from its replica, so FindCoordinator names
 * that broker and the committed offsets are served; they still are once the old one is back.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import kafkajs, { type Admin } from 'kafkajs';
import { startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { BrokerProcess } from '../helpers/cluster/broker-process.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { RawClient } from '../protocol/server/helpers/raw-client.js';
import { decodeFindCoordinatorResponse, encodeFindCoordinatorRequest } from '../../src/protocol/messages/find-coordinator.js';
import { decodeOffsetFetchResponse, encodeOffsetFetchRequest } from '../../src/protocol/messages/offset-fetch.js';
import { KAFKA_ERRORS } from '../../src/protocol/error-codes.js';

const { Kafka, logLevel } = kafkajs;
const it = suite('group coordinators in a cluster (real etcd, broker processes)');
let etcd: EtcdServer;
let brokers: BrokerProcess[] = [];
let admin: Admin | undefined;

function javaHash(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) % 2n ** 32n;
  return Number(BigInt.asIntN(32, h));
}
const partitionOf = (group: string) => {
  const h = javaHash(group);
  return (h === -2147483648 ? 0 : Math.abs(h)) % 50;
};

function kafka() {
  return new Kafka({
    clientId: 'coordinators',
    brokers: brokers.filter((b) => b.running).map((b) => b.bootstrap),
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
    connectionTimeout: 3000,
    requestTimeout: 10_000,
  });
}

/** FindCoordinator v1 asked of one broker: [errorCode, nodeId]. */
async function findCoordinator(broker: BrokerProcess, group: string): Promise<[number, number]> {
  const client = await RawClient.connect(broker.proxy.port);
  try {
    const { body } = await within(client.request(10, 1, (w) => encodeFindCoordinatorRequest(w, 1, { key: group, keyType: 0 }), decodeFindCoordinatorResponse), 15_000, 'FindCoordinator');
    return [body.errorCode ?? -1, body.nodeId ?? -1];
  } finally {
    await client.close();
  }
}

it.before(async () => {
  etcd = await startEtcd();
  const root = tempDir('skein-coordinators-');
  brokers = await Promise.all(
    [1, 2, 3].map((nodeId) => BrokerProcess.start({ nodeId, dir: join(root, `b${nodeId}`), etcd: etcd.url, args: ['--session-timeout-ms', '6000', '--log-level', 'warn'] })),
  );
  admin = kafka().admin();
  await within(admin.connect(), 20_000, 'admin connect');
  // Every broker (the controller among them, which creates __consumer_offsets with a
  // replication factor capped by the brokers it sees) must see all three first: asking one
  // broker was not enough (a fresh-clone CI run once got replication factor 2).
  for (const b of brokers) {
    const probe = new Kafka({ clientId: `probe-${b.nodeId}`, brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } }).admin();
    await within(probe.connect(), 20_000, `admin connect to broker ${b.nodeId}`);
    try {
      await until(async () => (await probe.describeCluster()).brokers.length === 3, `broker ${b.nodeId} to see three brokers`, 30_000, 200);
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
  }
});

it.after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await Promise.allSettled(brokers.map((b) => b.close()));
  await stopAllEtcd();
  cleanupTempDirs();
});

const GROUPS = Array.from({ length: 12 }, (_, i) => `orders-${i}`);

it('the first FindCoordinator creates __consumer_offsets; every broker names the leader of the group\'s partition', async () => {
  // Until the topic's replicas are open and loaded, brokers may answer COORDINATOR_NOT_AVAILABLE.
  await until(async () => (await findCoordinator(brokers[0]!, GROUPS[0]!))[0] === KAFKA_ERRORS.NONE, 'a first coordinator', 30_000, 200);
  const metadata = (await admin!.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics[0]!;
  assert.is(metadata.partitions.length, 50);
  for (const p of metadata.partitions) assert.is(new Set(p.replicas).size, 3, 'offsets.topic.replication.factor 3');
  const leaderOf = async (partition: number): Promise<number> =>
    (await admin!.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics[0]!.partitions.find((p) => p.partitionId === partition)!.leader;
  const chosen = new Set<number>();
  for (const group of GROUPS) {
    // A broker that has not yet seen the topic's partitions through its etcd watch answers
    // COORDINATOR_NOT_AVAILABLE, which clients retry; so do we. Leadership may also move while
    // the brokers open 150 new replicas on a loaded machine (a 6 s session, which brokers busy opening 150 replicas on two loaded cores lost at 2 s): the answers are
    // compared with the leader recorded when they were given.
    const [answers, leader] = await until(async () => {
      const all = await Promise.all(brokers.map((b) => findCoordinator(b, group)));
      if (!all.every(([error]) => error === KAFKA_ERRORS.NONE)) return undefined;
      const now = await leaderOf(partitionOf(group));
      return all.every(([, node]) => node === all[0]![1]) && all[0]![1] === now ? ([all, now] as const) : undefined;
    }, `every broker names the leader of ${group}'s partition ${partitionOf(group)}`, 30_000, 100);
    assert.is(new Set(answers.map(([, node]) => node)).size, 1, `one coordinator for ${group}: ${JSON.stringify(answers)}`);
    assert.is(answers[0]![1], leader, `${group}: the leader of partition ${partitionOf(group)}`);
    chosen.add(answers[0]![1]);
  }
  assert.ok(chosen.size > 1, `groups spread over brokers: ${[...chosen]}`);
});

it('a group request to a broker that is not the coordinator gets NOT_COORDINATOR', async () => {
  const group = GROUPS[1]!;
  const [, coordinator] = await findCoordinator(brokers[0]!, group);
  const other = brokers.find((b) => b.nodeId !== coordinator)!;
  const ask = async (broker: BrokerProcess) => {
    const client = await RawClient.connect(broker.proxy.port);
    try {
      const { body } = await client.request(9, 3, (w) => encodeOffsetFetchRequest(w, 3, { groupId: group, topics: [{ name: 't', partitionIndexes: [0] }] }), decodeOffsetFetchResponse);
      return body.errorCode;
    } finally {
      await client.close();
    }
  };
  assert.is(await ask(other), KAFKA_ERRORS.NOT_COORDINATOR);
  assert.is(await ask(brokers.find((b) => b.nodeId === coordinator)!), KAFKA_ERRORS.NONE);
});

it('a kafkajs group commits through its coordinator; the offsets survive the coordinator\'s SIGKILL (served by the new coordinator) and its restart', async () => {
  const group = 'survivors';
  await admin!.createTopics({ topics: [{ topic: 'work', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
  const client = kafka();
  const producer = client.producer();
  await producer.connect();
  for (let p = 0; p < 2; p++) await producer.send({ topic: 'work', acks: 1, messages: Array.from({ length: 5 }, (_, i) => ({ partition: p, value: `${p}-${i}` })) });
  await producer.disconnect();
  const consumer = client.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: 'work', fromBeginning: true });
  await consumer.run({ eachMessage: async () => void seen++ });
  const committed = async () => (await admin!.fetchOffsets({ groupId: group, topics: ['work'] }))[0]!.partitions.map((p) => Number(p.offset)).sort();
  try {
    await until(() => seen >= 10, 'ten records consumed', 30_000);
    await until(async () => (await committed()).join() === '5,5', 'offsets 5,5 committed', 30_000, 200);
  } finally {
    await consumer.disconnect();
  }

  const [, coordinatorId] = await findCoordinator(brokers[0]!, group);
  const coordinator = brokers.find((b) => b.nodeId === coordinatorId)!;
  const other = brokers.find((b) => b.nodeId !== coordinatorId)!;
  await coordinator.kill();
  // __consumer_offsets is replicated: the group's partition moves to an in-sync follower, which
  // loads the group's offsets from its replica and coordinates it from then on.
  const moved = await until(async () => {
    const [error, node] = await findCoordinator(other, group);
    return error === KAFKA_ERRORS.NONE && node !== coordinatorId ? node : undefined;
  }, 'another broker coordinates the group while its coordinator is down', 30_000, 200);
  assert.ok(brokers.some((b) => b.nodeId === moved));
  const offsetsNow = async (admin: Admin): Promise<number[] | undefined> => {
    const o = (await admin.fetchOffsets({ groupId: group, topics: ['work'] }))[0]!.partitions.map((p) => Number(p.offset)).sort();
    return o.join() === '5,5' ? o : undefined;
  };
  const fresh = kafka().admin();
  await fresh.connect();
  try {
    assert.equal(await until(() => offsetsNow(fresh), 'the committed offsets, served by the new coordinator', 30_000, 200), [5, 5]);
    await coordinator.restart();
    // Back as a follower of its old partitions: the group stays where it is, offsets intact.
    assert.equal(await until(() => offsetsNow(fresh), 'the committed offsets after the old coordinator is back', 30_000, 200), [5, 5]);
  } finally {
    await fresh.disconnect();
  }
});

it.run();
