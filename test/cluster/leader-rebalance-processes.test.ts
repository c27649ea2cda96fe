/**
 * Automatic preferred-leader rebalance with real broker processes and a real etcd
 * (`--leader-imbalance-check-interval-seconds 1`, otherwise Kafka's defaults): the preferred
 * leader of a partition is SIGKILLed, a follower takes over and acks=-1 writes go on; the
 * broker is restarted, catches up, rejoins the ISR, and the controller gives it its
 * leadership back by itself (no ElectLeaders, no command), in a new epoch. Every acknowledged
 * record is then read back from it with kafkajs.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Etcd3 } from 'etcd3';
import { ETCD_BINARY, startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { BrokerProcess } from '../helpers/cluster/broker-process.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const it = suite('automatic preferred-leader rebalance (real etcd, broker processes, kafkajs)');
let etcd: EtcdServer;
let etcdClient: Etcd3;
let brokers: BrokerProcess[] = [];

const ARGS = ['--session-timeout-ms', '2000', '--replica-lag-time-max-ms', '5000', '--min-insync-replicas', '2', '--leader-imbalance-check-interval-seconds', '1', '--log-level', 'warn'];

interface StoredState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  replicas: number[];
}

async function stateOf(topic: string, partition: number): Promise<StoredState> {
  return JSON.parse((await etcdClient.get(`/skein/partitions/${topic}/${partition}`).string())!) as StoredState;
}

function kafka(): Kafka {
  return new Kafka({
    clientId: 'rebalance-test',
    brokers: brokers.filter((b) => b.running).map((b) => b.bootstrap),
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
    connectionTimeout: 3000,
    requestTimeout: 15_000,
  });
}

it.before(async () => {
  etcd = await startEtcd();
  etcdClient = new Etcd3({ hosts: etcd.url });
  const root = tempDir('skein-rebalance-');
  brokers = await Promise.all([1, 2, 3].map((nodeId) => BrokerProcess.start({ nodeId, dir: join(root, `b${nodeId}`), etcd: etcd.url, args: ARGS })));
  await until(async () => (await etcdClient.getAll().prefix('/skein/brokers/').keys()).length === 3 && (await etcdClient.get('/skein/controller').exists()), 'three brokers and a controller', 30_000, 200);
});

it.after(async () => {
  await Promise.allSettled(brokers.map((b) => b.close()));
  etcdClient?.close();
  await stopAllEtcd();
  cleanupTempDirs();
});

it('a SIGKILLed preferred leader, restarted, gets its leadership back without any command', async () => {
  const topic = 'rebalanced';
  const admin = kafka().admin();
  await within(admin.connect(), 20_000, 'admin connect');
  try {
    // Three partitions, each broker the preferred leader of one.
    await admin.createTopics({
      topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }, { partition: 1, replicas: [2, 3, 1] }, { partition: 2, replicas: [3, 1, 2] }] }],
      waitForLeaders: true,
    });
    for (let p = 0; p < 3; p++) await until(async () => (await stateOf(topic, p)).isr.length === 3, `${topic}-${p} with all three in sync`, 30_000, 200);
    // The victim is not the controller, so the controller's own failover is not in the way.
    const controller = Number(await etcdClient.get('/skein/controller').string());
    const victim = [1, 2, 3].find((id) => id !== controller)!;
    const partition = victim - 1;
    const before = await stateOf(topic, partition);
    assert.is(before.leader, victim, 'the preferred replica leads at first');

    const acked: string[] = [];
    const send = async (value: string) => {
      const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await within(producer.send({ topic, acks: -1, messages: [{ partition, value }] }), 60_000, `send ${value}`);
        acked.push(value);
      } finally {
        await producer.disconnect();
      }
    };
    await send('before');

    const victimBroker = brokers.find((b) => b.nodeId === victim)!;
    await victimBroker.kill();
    const failedOver = await until(async () => {
      const s = await stateOf(topic, partition);
      return s.leader !== victim && s.leader !== -1 ? s : undefined;
    }, 'a follower leads', 30_000, 200);
    await send('during');

    await victimBroker.start();
    const back = await until(async () => {
      const s = await stateOf(topic, partition);
      return s.leader === victim ? s : undefined;
    }, `broker ${victim} leads ${topic}-${partition} again`, 60_000, 200);
    assert.ok(back.leaderEpoch > failedOver.leaderEpoch, 'in a new epoch');
    assert.ok(back.isr.includes(victim));
    // The other partitions keep their preferred leaders.
    for (let p = 0; p < 3; p++) assert.is((await stateOf(topic, p)).leader, p + 1, `${topic}-${p} led by its preferred replica`);

    await send('after');
    const consumer = kafka().consumer({ groupId: 'rebalance-reader' });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition: p, message }) => void (p === partition && seen.push(message.value!.toString())) });
    try {
      await until(() => seen.length >= acked.length, 'every acknowledged record read back', 60_000);
    } finally {
      // Leaving is best effort, as in Kafka's clients: a broker whose session lapsed under load
      // hands its __consumer_offsets partitions on, and the LeaveGroup kafkajs sends at
      // disconnect then meets NOT_COORDINATOR (retriable), which kafkajs throws. Whatever else
      // failed is thrown.
      await consumer.disconnect().catch((err: { retriable?: boolean }) => {
        if (err.retriable !== true) throw err;
      });
    }
    assert.equal(seen, acked);
    const controllerOutput = brokers.find((b) => b.nodeId === controller)!.output();
    assert.match(controllerOutput, new RegExp(`leader rebalance: ${topic}-${partition} led by its preferred replica, broker ${victim}, again`), controllerOutput.slice(-2000));
  } finally {
    await admin.disconnect();
  }
});

if (ETCD_BINARY) it.run();
