/**
 * A consumer group under churn: three embedded consumers share a topic while members join,
 * leave and crash (a member whose heartbeats stop). Every record is delivered, each partition
 * has one owner at a time, and once the group has committed, a new member starting after the
 * final commit gets nothing twice.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import type { Consumer } from '../../src/client/consumer.js';
import { encodeSubscription } from '../../src/broker/group/consumer-protocol.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const PARTITIONS = 6;
const TOTAL = 3000;

for (const assignor of ['cooperative-sticky', 'range', 'roundrobin']) {
  test(`${assignor}: join, leave and crash during consumption lose nothing and never share a partition`, async () => {
    const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 50, groupMinSessionTimeoutMs: 100 });
    await skein.admin.createTopics({ topics: [{ topic: 'work', numPartitions: PARTITIONS }] });
    const producer = skein.producer();
    const delivered = new Map<number, number>(); // value id -> times delivered
    const owners = new Map<number, string>(); // partition -> consumer name handling it right now
    const violations: string[] = [];
    let produced = 0;
    const produceSome = async (n: number) => {
      const messages = Array.from({ length: n }, () => ({ key: `k${produced % 97}`, value: String(produced++) }));
      await producer.send({ topic: 'work', messages });
    };
    await produceSome(TOTAL / 3);

    const consumers = new Map<string, Consumer>();
    const start = async (name: string) => {
      const consumer = skein.consumer({
        groupId: 'workers',
        clientId: name,
        partitionAssigners: [assignor],
        sessionTimeout: 3000,
        rebalanceTimeout: 3000,
        heartbeatInterval: 50,
        maxWaitTimeInMs: 20,
      });
      await consumer.subscribe({ topic: 'work', fromBeginning: true });
      await consumer.run({
        autoCommitInterval: 50,
        eachMessage: async ({ partition, message }) => {
          const owner = owners.get(partition);
          if (owner && owner !== name) violations.push(`partition ${partition} handled by ${owner} and ${name} at once`);
          owners.set(partition, name);
          const id = Number(message.value!.toString());
          delivered.set(id, (delivered.get(id) ?? 0) + 1);
          if (id % 50 === 0) await new Promise((r) => setTimeout(r, 1));
          owners.delete(partition);
        },
      });
      consumers.set(name, consumer);
    };

    await start('a');
    await start('b');
    await until(() => delivered.size >= 300, 'first records');
    await produceSome(TOTAL / 3);
    await start('c');

    // A member that joins with a tiny session timeout, gets partitions, then stops heartbeating: a crash.
    const groups = skein.broker.groups;
    const crashed = groups.joinGroup({
      groupId: 'workers',
      memberId: '',
      sessionTimeoutMs: 200,
      rebalanceTimeoutMs: 3000,
      protocolType: 'consumer',
      protocols: [{ name: assignor, metadata: encodeSubscription({ version: 1, topics: ['work'] }) }],
      requireKnownMemberId: false,
      clientId: 'crasher',
    });
    const joined = await crashed;
    await groups
      .syncGroup({ groupId: 'workers', generationId: joined.generationId, memberId: joined.memberId, assignments: [] })
      .catch(() => undefined); // it may be kicked out before syncing; either way it never heartbeats

    await until(() => delivered.size >= TOTAL / 2, 'records after the crash');
    await consumers.get('a')!.disconnect(); // leaves the group
    await produceSome(TOTAL / 3);
    await until(() => delivered.size === TOTAL, `all ${TOTAL} records (have ${delivered.size})`);
    assert.equal(violations, []);
    for (let id = 0; id < TOTAL; id++) assert.ok(delivered.has(id), `record ${id} delivered`);

    // Final commit: stop the remaining members (they commit), then a fresh member gets nothing old.
    for (const name of ['b', 'c']) await consumers.get(name)!.disconnect();
    const view = await skein.admin.describeGroup('workers');
    assert.is(view.totalLag, 0, 'the group committed everything');
    const late = skein.consumer({ groupId: 'workers', partitionAssigners: [assignor], maxWaitTimeInMs: 20 });
    await late.subscribe({ topic: 'work', fromBeginning: true });
    const replayed: number[] = [];
    await late.run({ eachMessage: async ({ message }) => void replayed.push(Number(message.value!.toString())) });
    await until(() => late.assignment().length === PARTITIONS, 'the late member owns everything');
    await produceSome(5);
    await until(() => replayed.length === 5, 'only the new records');
    assert.equal(replayed.sort((x, y) => x - y), [TOTAL, TOTAL + 1, TOTAL + 2, TOTAL + 3, TOTAL + 4]);
    await skein.close();
  });
}

test('a handler that throws is retried from the same offset, and a consumer that keeps failing reports it', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100 });
  const producer = skein.producer();
  await producer.send({ topic: 'flaky', messages: [{ value: 'a' }, { value: 'b' }] });
  const consumer = skein.consumer({ groupId: 'flaky', maxWaitTimeInMs: 20, retryBackoffMs: 5, maxRestarts: 3 });
  await consumer.subscribe({ topic: 'flaky', fromBeginning: true });
  const crashes: Array<{ restart: boolean }> = [];
  consumer.on('consumer.crash', (e) => crashes.push(e));
  const seen: string[] = [];
  let failuresLeft = 2;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const v = message.value!.toString();
      if (v === 'b' && failuresLeft-- > 0) throw new Error('transient');
      seen.push(v);
    },
  });
  await until(() => seen.length === 2, 'both records after retries');
  assert.equal(seen, ['a', 'b']);
  assert.equal(crashes.map((c) => c.restart), [true, true]);

  await consumer.stop();
  await producer.send({ topic: 'flaky', messages: [{ value: 'poison' }] });
  const failing = skein.consumer({ groupId: 'flaky', maxWaitTimeInMs: 20, retryBackoffMs: 5, maxRestarts: 2 });
  await failing.subscribe({ topic: 'flaky', fromBeginning: true });
  const finalCrash = new Promise<{ restart: boolean; error: Error }>((resolve) =>
    failing.on('consumer.crash', (e) => {
      if (!e.restart) resolve(e);
    }),
  );
  await failing.run({
    eachMessage: async ({ message }) => {
      if (message.value!.toString() === 'poison') throw new Error('poison pill');
    },
  });
  const event = await finalCrash;
  assert.is(event.restart, false);
  assert.is(failing.health().status, 'failed');
  assert.is((failing.health().lastError as Error & { code?: string }).code, 'SKEIN_CONSUMER_STALLED');
  await skein.close();
});

test('a handler that hangs raises consumer.stalled and health says so', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100 });
  const producer = skein.producer();
  await producer.send({ topic: 'slow', messages: [{ value: 'x' }] });
  const consumer = skein.consumer({ groupId: 'slow', maxWaitTimeInMs: 20, handlerTimeoutMs: 50, heartbeatInterval: 20 });
  await consumer.subscribe({ topic: 'slow', fromBeginning: true });
  let release!: () => void;
  const stalled = new Promise<{ topic: string; offset: number }>((resolve) => consumer.on('consumer.stalled', resolve));
  await consumer.run({ eachMessage: () => new Promise<void>((resolve) => (release = resolve)) });
  const event = await stalled;
  assert.is(event.topic, 'slow');
  assert.is(event.offset, 0);
  assert.is(consumer.health().status, 'stalled');
  release();
  await until(() => consumer.health().status === 'consuming', 'recovery after the handler returns');
  await skein.close();
});

test.run();
