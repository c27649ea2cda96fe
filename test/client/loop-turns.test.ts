/**
 * A consumer delivering a large fetch gives timers and I/O a turn (client/consumer/loop-turns.ts):
 * handlers that never wait on I/O resolve in microtasks, so without it a whole fetch was
 * delivered before any timer of the process ran (heartbeats, other partitions' long polls).
 * Each case makes one fetch hold everything, busies its first handler call past a delivery slice
 * with a timer pending, and checks that the timer ran before the same fetch's delivery ended.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

async function filled(topic: string, partitions = 1): Promise<Skein> {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  const producer = skein.producer({ batchSize: 1024 * 1024 });
  // Twelve record batches of 1000 per partition: eachBatch slices (at most 2048 records) span two of them.
  for (let partition = 0; partition < partitions; partition++) {
    for (let s = 0; s < 12; s++) await producer.send({ topic, messages: Array.from({ length: 1000 }, (_, i) => ({ partition, value: `v${s * 1000 + i}` })) });
  }
  return skein;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('eachMessage: a timer set at the first message of a fetch runs before that fetch is delivered', async () => {
  const skein = await filled('turns-messages');
  const consumer = skein.consumer({ groupId: 'turns-m', maxWaitTimeInMs: 20, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 });
  await consumer.subscribe({ topic: 'turns-messages', fromBeginning: true });
  let fired = false;
  let firedAt = -1;
  let seen = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen += 1;
      if (Number(message.offset) === 0) {
        setTimeout(() => {
          fired = true;
          firedAt = seen;
        }, 0);
        busy(20);
      }
    },
  });
  await until(() => seen === 12_000, 'all 12,000 records');
  await consumer.disconnect();
  await skein.close();
  assert.ok(fired, 'the timer ran');
  assert.ok(firedAt > 0 && firedAt < 1000, `the timer ran after ${firedAt} messages, inside the first record batch of the fetch`);
});

test('eachBatch: a timer set in the first slice of a fetch runs before its next slice', async () => {
  const skein = await filled('turns-batches');
  const consumer = skein.consumer({ groupId: 'turns-b', maxWaitTimeInMs: 20, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 });
  await consumer.subscribe({ topic: 'turns-batches', fromBeginning: true });
  const firedBefore: boolean[] = [];
  let fired = false;
  let records = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      firedBefore.push(fired);
      if (firedBefore.length === 1) {
        assert.is(batch.firstOffset(), '0');
        setTimeout(() => (fired = true), 0);
        busy(20);
      }
      records += batch.messages.length;
    },
  });
  await until(() => records === 12_000, 'all 12,000 records');
  await consumer.disconnect();
  await skein.close();
  assert.ok(firedBefore.length >= 2, `several slices (${firedBefore.length})`);
  assert.equal(firedBefore.slice(0, 2), [false, true], 'the timer ran between the first and second slice');
});
test('eachBatch, partitions delivered concurrently: once a slice ran past the due time, no partition starts another before the timer', async () => {
  const skein = await filled('turns-concurrent', 4);
  const consumer = skein.consumer({ groupId: 'turns-c', maxWaitTimeInMs: 20, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 });
  await consumer.subscribe({ topic: 'turns-concurrent', fromBeginning: true });
  const firedBefore: Array<{ partition: number; fired: boolean }> = [];
  let fired = false;
  let records = 0;
  await consumer.run({
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      firedBefore.push({ partition: batch.partition, fired });
      if (firedBefore.length === 1) {
        setTimeout(() => (fired = true), 0);
        busy(20);
      }
      records += batch.messages.length;
    },
  });
  await until(() => records === 48_000, 'all 48,000 records');
  await consumer.disconnect();
  await skein.close();
  assert.ok(firedBefore.length >= 8, `several slices (${firedBefore.length})`);
  // Before: each of the other partitions delivered one more slice before the loop had a turn.
  const late = firedBefore.slice(1).filter((call) => !call.fired);
  assert.equal(late, [], 'every slice after the busy one waited for the timer');
});

test('eachBatch, partitions delivered concurrently: one turn for all, so after a turn one slice past the due time runs, not one per partition', async () => {
  const skein = await filled('turns-shared', 4);
  const consumer = skein.consumer({ groupId: 'turns-s', maxWaitTimeInMs: 20, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 });
  await consumer.subscribe({ topic: 'turns-shared', fromBeginning: true });
  // A timer that counts its runs; each slice notes the count it saw. Every slice is longer
  // than a delivery slice (2 ms), so after each one the next must wait for a turn of the loop.
  let ticks = 0;
  const ticker = setInterval(() => (ticks += 1), 1);
  const seen: number[] = [];
  let records = 0;
  await consumer.run({
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch }) => {
      seen.push(ticks);
      busy(6);
      records += batch.messages.length;
    },
  });
  await until(() => records === 48_000, 'all 48,000 records');
  clearInterval(ticker);
  await consumer.disconnect();
  await skein.close();
  // The most slices that ran with no timer run between them. Before: each partition's delivery
  // took its own turn and restarted the slice, so all four ran one after the other.
  let run = 1;
  let longest = 1;
  for (let i = 1; i < seen.length; i++) {
    run = seen[i] === seen[i - 1] ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  assert.ok(seen.length >= 16, `several slices (${seen.length})`);
  assert.ok(longest <= 2, `at most two slices without a timer in between, saw ${longest}: ${seen.join(',')}`);
});

test.run();
