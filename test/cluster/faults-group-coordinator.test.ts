/**
 * A consumer group survives its coordinator's broker (issue 12): three broker processes, a
 * topic with RF 3, a kafkajs consumer group that has consumed and committed; the test SIGKILLs
 * the broker FindCoordinator names for the group, keeps producing, and the group must go on:
 * FindCoordinator names another broker, the committed offsets are still there (replicated
 * __consumer_offsets), the consumer receives every new record, and nothing below the offsets
 * committed before the kill is delivered again (the group did not start over).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin, Consumer } from 'kafkajs';
import { ETCD_BINARY } from '../helpers/cluster/etcd.js';
import { FaultCluster, faultClusterHooks } from '../helpers/cluster/fault-cluster.js';
import { findCoordinator } from '../helpers/cluster/coordinator.js';
import { until, within } from '../helpers/cluster/wait.js';
import { coordinatorPartition } from '../../src/broker/group/coordinator-partition.js';

const it = suite('faults: a consumer group while its coordinator is killed');
const PARTITIONS = 3;
const GROUP = 'survivors';
let cluster: FaultCluster;
let admin: Admin;

faultClusterHooks(it, (c, a) => {
  cluster = c;
  admin = a;
});

async function committed(): Promise<number[]> {
  const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: ['grouped'] });
  const out = new Array<number>(PARTITIONS).fill(-1);
  for (const p of topic!.partitions) out[p.partition] = Number(p.offset);
  return out;
}

/** What a failure message carries: etcd's view of the data and the group's offsets partition, the offsets, each broker's last output. */
async function diagnose(delivered: Array<{ partition: number; value: string }>): Promise<string> {
  const p = coordinatorPartition(GROUP, 50);
  const offsetsState = await cluster.partition('__consumer_offsets', p).catch((e: Error) => e.message);
  const perPartition = [0, 1, 2].map((q) => delivered.filter((d) => d.partition === q && d.value.startsWith('after-')).length);
  const outputs = cluster.brokers.map((b) => `--- broker ${b.nodeId} (${b.running ? 'running' : 'stopped'}):\n${b.output().slice(-3000)}`).join('\n');
  return [
    await cluster.describeState('grouped', PARTITIONS),
    `__consumer_offsets-${p}: ${JSON.stringify(offsetsState)}`,
    `committed: ${JSON.stringify(await committed().catch((e: Error) => e.message))}`,
    `after-kill records per partition: ${JSON.stringify(perPartition)}`,
    outputs,
  ].join('\n');
}

it('the coordinator moves, committed offsets stay, consumption goes on without starting over', async () => {
  const topic = 'grouped';
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
  await cluster.waitForIsr(topic, PARTITIONS, 3, 30_000);
  const producer = cluster.kafka('group-writer').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const write = async (round: string, perPartition: number) => {
    for (let p = 0; p < PARTITIONS; p++) {
      const messages = Array.from({ length: perPartition }, (_, i) => ({ partition: p, value: `${round}-${p}-${i}` }));
      await within(producer.send({ topic, acks: -1, messages }), 60_000, `write ${round} to ${topic}/${p}`);
    }
  };
  const delivered: { partition: number; offset: number; value: string; afterKill: boolean }[] = [];
  let killed = false;
  let consumer: Consumer | undefined = cluster.kafka('group-reader').consumer({
    groupId: GROUP,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    rebalanceTimeout: 10_000,
    // kafkajs looks a dead coordinator up again only once its retries are spent: a heartbeat or
    // commit to the killed broker fails with a closed connection, which it retries (logged at
    // debug) between fetches that long-poll maxWaitTimeInMs. With 30 retries and the 5 s default
    // wait that is minutes; a few retries and a 1 s wait make the consumer restart, call
    // FindCoordinator and rejoin the new coordinator within seconds.
    maxWaitTimeInMs: 1000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  try {
    await write('before', 40);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommitInterval: 100,
      eachMessage: async ({ partition, message }) => {
        delivered.push({ partition, offset: Number(message.offset), value: message.value!.toString(), afterKill: killed });
      },
    });
    await until(() => delivered.length >= 40 * PARTITIONS, 'the first 120 records consumed', 60_000);
    const before = await until(async () => {
      const c = await committed();
      return c.every((o) => o === 40) ? c : undefined;
    }, 'offsets 40 committed on every partition', 30_000, 100);
    // The coordinator can move only to an in-sync replica of the group's offsets partition: under
    // load a session flap can leave its ISR at the leader alone for a while (then killing the
    // leader leaves no one to elect, as in Kafka with unclean election off). Wait until it is full.
    await until(async () => {
      const state = await cluster.partition('__consumer_offsets', coordinatorPartition(GROUP, 50));
      return state.leader >= 0 && state.isr.length === 3 ? state : undefined;
    }, `__consumer_offsets-${coordinatorPartition(GROUP, 50)} led with 3 in-sync replicas`, 30_000, 100);
    const coordinator = await findCoordinator(cluster.brokers[0]!.bootstrap, GROUP);
    assert.is(coordinator.errorCode, 0);
    killed = true;
    await cluster.broker(coordinator.nodeId).kill();
    await write('after', 20);
    const moved = await until(async () => {
      const live = cluster.brokers.find((b) => b.running)!;
      const c = await findCoordinator(live.bootstrap, GROUP);
      return c.errorCode === 0 && c.nodeId !== coordinator.nodeId ? c : undefined;
    }, `the coordinator of ${GROUP} to move off broker ${coordinator.nodeId}`, 30_000, 200);
    assert.ok(moved.nodeId >= 0);
    const kept = await until(async () => {
      const c = await committed();
      return c.every((o, p) => o >= before[p]!) ? c : undefined;
    }, 'committed offsets readable from the new coordinator', 30_000, 200).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await committed().catch((e: Error) => e.message))} (before ${before})`);
    });
    assert.ok(kept.every((o, p) => o >= before[p]!));
    await until(() => delivered.filter((d) => d.value.startsWith('after-')).length >= 20 * PARTITIONS, 'the 60 records written after the kill consumed', 90_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}: got ${delivered.filter((d) => d.value.startsWith('after-')).length}`);
    });
    const replayed = delivered.filter((d) => d.afterKill && d.offset < before[d.partition]!);
    assert.equal(replayed.map((d) => `${d.partition}@${d.offset}`), [], 'nothing below the committed offsets is delivered again after the coordinator moved');
    const afterValues = new Set(delivered.filter((d) => d.value.startsWith('after-')).map((d) => d.value));
    assert.is(afterValues.size, 20 * PARTITIONS, 'every record written after the kill delivered');
    await consumer.disconnect();
    consumer = undefined;
    const final = await until(async () => {
      const c = await committed();
      return c.every((o) => o === 60) ? c : undefined;
    }, 'offsets 60 committed on every partition after the move', 30_000, 200);
    assert.equal(final, [60, 60, 60]);
  } catch (err) {
    (err as Error).message += `\n${await diagnose(delivered)}`;
    throw err;
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
