/**
 * `Skein.open({ dir, cluster: { nodeId, etcd, listen } })`: three embedded brokers (in this
 * one process, each with its own folder, etcd lease and listener) form a cluster that kafkajs
 * uses; a non-leader refuses data requests with SKEIN_NOT_LEADER_OR_FOLLOWER; closing a
 * Skein revokes its lease, so the cluster moves its leaderships to in-sync followers without
 * waiting a session timeout.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Skein } from '../../src/client/skein.js';
import { SkeinError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { ETCD_BINARY, startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const it = suite('embedded cluster (Skein.open({ cluster }), real etcd)');
let etcd: EtcdServer;
const skeins: Skein[] = [];

async function open(nodeId: number, root: string): Promise<Skein> {
  const skein = await within(
    Skein.open({
      dir: join(root, `n${nodeId}`),
      cluster: { nodeId, etcd: etcd.url, prefix: `/embedded-${process.pid}/`, sessionTimeoutMs: 10_000, listen: { host: '127.0.0.1', port: 0 } },
      onWarning: () => undefined,
    }),
    30_000,
    `embedded broker ${nodeId} opening`,
  );
  skeins.push(skein);
  return skein;
}

it.before(async () => {
  etcd = await startEtcd();
});

it.after(async () => {
  await Promise.allSettled(skeins.map((s) => s.close()));
  await stopAllEtcd();
  cleanupTempDirs();
});

it('three embedded brokers form one cluster that kafkajs produces to and consumes from', async () => {
  const root = tempDir('skein-embedded-');
  const [a, b, c] = [await open(1, root), await open(2, root), await open(3, root)];
  await until(() => c!.broker.brokers().length === 3 && a!.broker.brokers().length === 3, 'all three registered', 20_000);
  const bootstrap = [a!, b!, c!].map((s) => `${s.broker.listener.host}:${s.broker.listener.port}`);
  const kafka = new Kafka({ clientId: 'embedded', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 3, replicationFactor: 2 }], waitForLeaders: true });
    const meta = (await admin.fetchTopicMetadata({ topics: ['events'] })).topics[0]!.partitions;
    assert.equal(meta.map((p) => p.leader).sort(), [1, 2, 3]);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await producer.send({ topic: 'events', acks: 1, messages });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'embedded-readers' });
    const seen = new Set<string>();
    await consumer.connect();
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
    try {
      await until(() => seen.size >= 30, 'all 30 records consumed', 30_000);
    } finally {
      await consumer.disconnect();
    }
    assert.equal([...seen].sort(), messages.map((m) => m.value).sort());
  } finally {
    await admin.disconnect();
  }
});

it('every broker names the same coordinator for a group (FindCoordinator), spread over the brokers', async () => {
  const groups = Array.from({ length: 30 }, (_, i) => `group-${i}`);
  const chosen = new Set<number>();
  for (const g of groups) {
    const answers = await Promise.all(skeins.map(async (s) => (await s.broker.findCoordinator(g)).nodeId));
    assert.is(new Set(answers).size, 1, `one coordinator for ${g}: ${answers}`);
    chosen.add(answers[0]!);
  }
  assert.is(chosen.size, 3, 'groups spread over the three brokers');
});

it('a broker that does not lead a partition refuses produce and fetch with SKEIN_NOT_LEADER_OR_FOLLOWER', async () => {
  const [a] = skeins;
  const state = a!.cluster!.cache.partition('events', 0)!;
  const outsider = skeins.find((s) => s.broker.nodeId !== state.leader)!;
  const batch = encodeRecordBatch([{ value: Buffer.from('x') }]);
  try {
    await outsider.broker.produce('events', 0, batch, 1);
    assert.unreachable();
  } catch (err) {
    assert.ok(err instanceof SkeinError);
    assert.is((err as SkeinError).code, 'SKEIN_NOT_LEADER_OR_FOLLOWER');
    assert.is((err as SkeinError).leader, state.leader);
  }
  const fetched = await outsider.broker.fetch({ maxWaitMs: 0, partitions: [{ topic: 'events', partition: 0, fetchOffset: 0, maxBytes: 1024 }] });
  assert.is(fetched.partitions[0]!.error?.code, 'SKEIN_NOT_LEADER_OR_FOLLOWER');
  const leader = skeins.find((s) => s.broker.nodeId === state.leader)!;
  const written = await leader.broker.produce('events', 0, batch, 1);
  assert.ok(written.baseOffset >= 0);
  // The member's own embedded producer acts on this broker only (docs/cluster.md): it says
  // which broker leads instead of routing there, and the leader's own producer writes.
  const refused = await within(
    outsider.producer().send({ topic: 'events', acks: 1, messages: [{ partition: 0, value: 'embedded' }] }).then(
      () => undefined,
      (err: unknown) => err,
    ),
    30_000,
    'the embedded send to be answered',
  );
  assert.ok(refused instanceof SkeinError, String(refused));
  assert.is((refused as SkeinError).code, 'SKEIN_NOT_LEADER_OR_FOLLOWER');
  assert.match((refused as SkeinError).message, `leader: ${state.leader}`);
  const [sent] = await leader.producer().send({ topic: 'events', acks: 1, messages: [{ partition: 0, value: 'embedded' }] });
  assert.is(sent!.partition, 0);
});

it('closing an embedded broker is seen at once (lease revoked, not expired): its partitions stop being served', async () => {
  const victim = skeins[1]!;
  const led = victim.cluster!.cache.partitions('events').filter((p) => p.leader === victim.broker.nodeId);
  assert.ok(led.length > 0);
  const survivor = skeins[0]!;
  const closedAt = Date.now();
  await victim.close();
  for (const p of led) {
    await until(() => {
      const now = survivor.cluster!.cache.partition('events', p.partition)!;
      // Moved to a follower: the ISR of a new partition is all its replicas.
      return now.leader !== -1 && now.leader !== victim.broker.nodeId && now.leaderEpoch > p.leaderEpoch;
    }, `events-${p.partition} led by another in-sync replica`, 9_000);
  }
  // The session timeout is 10 s: getting here within 9 s means the revoke, not expiry, moved it.
  assert.ok(Date.now() - closedAt < 10_000);
  assert.not.ok(survivor.broker.brokers().some((x) => x.nodeId === victim.broker.nodeId));
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
