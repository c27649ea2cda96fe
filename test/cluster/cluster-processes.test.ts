/**
 * Real broker processes (`skein serve --etcd`) against a real etcd, used through kafkajs:
 * three brokers form a cluster, Metadata/DescribeCluster list all of them, CreateTopics spreads
 * replicas and leaders, records produced through kafkajs land on the leaders and read back,
 * CreatePartitions grows a topic. Followers replicate (test/cluster/replication.test.ts has
 * the details): a SIGKILLed leader's partitions move to an in-sync follower holding every
 * acknowledged record; a paused leader's lease expires and the same happens.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Etcd3 } from 'etcd3';
import { ETCD_BINARY, startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { BrokerProcess } from '../helpers/cluster/broker-process.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const it = suite('cluster of broker processes (real etcd, kafkajs)');
let etcd: EtcdServer;
let brokers: BrokerProcess[] = [];
let admin: Admin | undefined;

function kafka(): Kafka {
  return new Kafka({
    clientId: 'cluster-test',
    brokers: brokers.filter((b) => b.running).map((b) => b.bootstrap),
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
    connectionTimeout: 3000,
    requestTimeout: 10_000,
  });
}

it.before(async () => {
  etcd = await startEtcd();
  const root = tempDir('skein-cluster-');
  brokers = await Promise.all(
    [1, 2, 3].map((nodeId) =>
      BrokerProcess.start({ nodeId, dir: join(root, `b${nodeId}`), etcd: etcd.url, args: ['--session-timeout-ms', '2000', '--log-level', 'warn'] }),
    ),
  );
  // Every broker must see all three (and the controller) before clients cache any metadata.
  for (const b of brokers) {
    await until(async () => {
      const probe = new Kafka({ clientId: 'probe', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      await probe.connect();
      try {
        const d = await probe.describeCluster();
        return d.brokers.length === 3 && d.controller !== null && d.controller >= 0;
      } finally {
        await probe.disconnect();
      }
    }, `broker ${b.nodeId} to see the whole cluster`, 30_000, 200);
  }
  admin = kafka().admin();
  await within(admin.connect(), 20_000, 'admin connect');
});

it.after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await Promise.allSettled(brokers.map((b) => b.close()));
  await stopAllEtcd();
  cleanupTempDirs();
});

it('every broker is listed, with one controller, from any broker', async () => {
  const described = await until(async () => {
    const d = await admin!.describeCluster();
    return d.brokers.length === 3 ? d : undefined;
  }, 'three brokers in DescribeCluster', 20_000);
  assert.equal(
    described.brokers.map((b) => b.nodeId).sort(),
    [1, 2, 3],
  );
  for (const b of described.brokers) {
    assert.is(b.host, '127.0.0.1');
    assert.is(b.port, brokers.find((x) => x.nodeId === b.nodeId)!.proxy.port, 'advertised through its proxy');
  }
  assert.ok([1, 2, 3].includes(described.controller!));
});

it('CreateTopics with replicationFactor 3 spreads leaders; kafkajs writes and reads back', async () => {
  assert.ok(await admin!.createTopics({ topics: [{ topic: 'spread', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true }));
  const metadata = await admin!.fetchTopicMetadata({ topics: ['spread'] });
  const partitions = metadata.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
  assert.is(partitions.length, 3);
  assert.equal(partitions.map((p) => p.leader).sort(), [1, 2, 3], 'one leader per broker');
  for (const p of partitions) {
    assert.equal([...p.replicas].sort(), [1, 2, 3]);
    // A new partition's replicas are all in sync (all empty), as in Kafka.
    assert.equal([...p.isr].sort(), [1, 2, 3]);
  }
  const client = kafka();
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let p = 0; p < 3; p++) {
    await producer.send({ topic: 'spread', acks: 1, messages: [{ partition: p, value: `p${p}-a` }, { partition: p, value: `p${p}-b` }] });
  }
  await producer.disconnect();
  const consumer = client.consumer({ groupId: 'spread-reader' });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'spread', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push(`${partition}:${message.value!.toString()}`) });
  try {
    await until(() => seen.length >= 6, 'six records read back', 30_000);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(seen.sort(), ['0:p0-a', '0:p0-b', '1:p1-a', '1:p1-b', '2:p2-a', '2:p2-b']);
});

it('an explicit replica assignment is followed; a factor above the live brokers is refused', async () => {
  await admin!.createTopics({ topics: [{ topic: 'placed', replicaAssignment: [{ partition: 0, replicas: [3, 1] }, { partition: 1, replicas: [2, 3] }] }] });
  const placed = (await admin!.fetchTopicMetadata({ topics: ['placed'] })).topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
  assert.equal(placed.map((p) => [p.leader, p.replicas]), [[3, [3, 1]], [2, [2, 3]]]);
  try {
    await admin!.createTopics({ topics: [{ topic: 'too-many', numPartitions: 1, replicationFactor: 4 }] });
    assert.unreachable();
  } catch (err) {
    assert.match(JSON.stringify((err as { errors?: unknown }).errors ?? (err as Error).message), /INVALID_REPLICATION_FACTOR|replication factor/i);
  }
});

it('CreatePartitions grows a topic across the cluster', async () => {
  await admin!.createPartitions({ topicPartitions: [{ topic: 'spread', count: 5 }] });
  const grown = await until(async () => {
    const m = await admin!.fetchTopicMetadata({ topics: ['spread'] });
    return m.topics[0]!.partitions.length === 5 ? m.topics[0]!.partitions : undefined;
  }, 'five partitions', 20_000);
  for (const p of grown) assert.is(new Set(p.replicas).size, 3);
});

it('a SIGKILLed leader: its partitions move to an in-sync follower that holds every acknowledged record; restarted, it follows again', async () => {
  await admin!.createTopics({ topics: [{ topic: 'failover', numPartitions: 3, replicationFactor: 2 }], waitForLeaders: true });
  const before = (await admin!.fetchTopicMetadata({ topics: ['failover'] })).topics[0]!.partitions;
  const victim = brokers.find((b) => b.nodeId === before[0]!.leader)!;
  const led = before.filter((p) => p.leader === victim.nodeId).map((p) => p.partitionId);
  const producer = kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: 'failover', acks: -1, messages: led.map((partition) => ({ partition, value: `before-${partition}` })) });
  await producer.disconnect();
  await victim.kill();
  const moved = await until(async () => {
    const m = (await admin!.fetchTopicMetadata({ topics: ['failover'] }).catch(() => undefined))?.topics[0]!.partitions;
    return m && led.every((id) => {
      const leader = m.find((q) => q.partitionId === id)!.leader;
      return leader >= 0 && leader !== victim.nodeId;
    }) ? m : undefined;
  }, `partitions ${led} led by a follower after broker ${victim.nodeId} died`, 30_000, 250);
  assert.ok(moved.length === 3);
  const consumer = kafka().consumer({ groupId: 'failover-reader' });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'failover', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  try {
    await until(() => seen.length >= led.length, 'the records acknowledged before the kill, from the new leaders', 60_000);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(seen.sort(), led.map((p) => `before-${p}`).sort());
  await victim.start();
  await until(async () => {
    const m = (await admin!.fetchTopicMetadata({ topics: ['failover'] })).topics[0]!.partitions;
    return led.every((id) => m.find((q) => q.partitionId === id)!.isr.includes(victim.nodeId));
  }, `restarted broker ${victim.nodeId} back in the ISR of ${led}`, 60_000, 250);
});

it('a leader paused (SIGSTOP) past its session: its lease expires, an in-sync follower takes over, and after SIGCONT it re-joins as a follower', async () => {
  await admin!.createTopics({ topics: [{ topic: 'paused', numPartitions: 1, replicationFactor: 2 }], waitForLeaders: true });
  const etcdClient = new Etcd3({ hosts: etcd.url });
  const stateOf = async () => JSON.parse((await etcdClient.get('/skein/partitions/paused/0').string())!) as { leader: number; leaderEpoch: number; isr: number[] };
  try {
    const before = await stateOf();
    const victim = brokers.find((b) => b.nodeId === before.leader)!;
    victim.pause();
    try {
      const moved = await until(async () => {
        const s = await stateOf();
        return s.leader !== victim.nodeId && s.leader >= 0 ? s : undefined;
      }, 'the paused leader replaced by its in-sync follower', 30_000, 200);
      assert.is(moved.leaderEpoch, before.leaderEpoch + 1);
      assert.not.ok(moved.isr.includes(victim.nodeId));
      assert.not.ok(await etcdClient.get(`/skein/brokers/${victim.nodeId}`).exists(), 'its registration expired with its lease');
    } finally {
      victim.resume();
    }
    const back = await until(async () => {
      const s = await stateOf();
      return s.isr.includes(victim.nodeId) ? s : undefined;
    }, 'the resumed broker back in the ISR as a follower', 30_000, 200);
    assert.is(back.leaderEpoch, before.leaderEpoch + 1, 'no further election');
  } finally {
    etcdClient.close();
  }
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
