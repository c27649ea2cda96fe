/**
 * The embedded consumer over large compressed batches, which it decompresses on the
 * partition's worker (and small ones inline): every record arrives once, in order, with its
 * key, value and headers, for each codec, with and without a worker pool.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import { compressedBatch } from '../helpers/compressed-batches.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { within } from '../helpers/timeout.js';
import { DECOMPRESSIONS_AHEAD } from '../../src/client/pooled-decompression.js';

test.after(cleanupTempDirs);

for (const pooled of [true, false]) {
  test(`large and small compressed batches reach eachBatch in order, all four codecs (${pooled ? 'pool' : 'inline'})`, async () => {
    const skein = await Skein.open({ dir: join(tempDir(), 'd'), groupInitialRebalanceDelayMs: 0, workerPool: pooled ? { size: 1 } : false });
    await skein.admin.createTopics({ topics: [{ topic: 't' }] });
    const expected: string[] = [];
    for (const codec of [1, 2, 3, 4] as const) {
      // 5000 records: over every codec's pool thresholds (produce and consume); 3: under them.
      for (const n of [5000, 3]) {
        const records = Array.from({ length: n }, (_, i) => ({ key: `k${codec}`, value: `c${codec}-${n}-${i}`, headers: { h: `${i}` } }));
        expected.push(...records.map((r) => r.value));
        await skein.broker.produce('t', 0, compressedBatch(records, codec), 1);
      }
    }
    await skein.broker.produce('t', 0, encodeRecordBatch([{ value: 'plain' }]), 1);
    expected.push('plain');
    const consumer = skein.consumer({ groupId: 'g' });
    await consumer.subscribe({ topic: 't', fromBeginning: true });
    const seen: string[] = [];
    let headersOk = true;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          seen.push(m.value!.toString());
          const i = m.value!.toString().split('-')[2];
          if (i !== undefined && m.headers.h?.toString() !== i) headersOk = false;
        }
        if (seen.length >= expected.length) done();
      },
    });
    await within(30_000, finished);
    assert.is(seen.length, expected.length);
    assert.equal(seen, expected);
    assert.ok(headersOk, 'headers travel with their records');
    // Produce validated the four large batches on the pool, and the consumer decompressed them there.
    if (pooled) assert.ok(skein.broker.workerPool!.completed >= 8, `pool tasks: ${skein.broker.workerPool!.completed}`);
    else assert.is(skein.broker.workerPool, undefined);
    await consumer.disconnect();
    await skein.close();
  });
}

test('a fetch of many large gzip batches is decompressed a few at a time, in order, not all at once', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'd'), groupInitialRebalanceDelayMs: 0, workerPool: { size: 1 } });
  await skein.admin.createTopics({ topics: [{ topic: 'w' }] });
  const batches = 16;
  for (let b = 0; b < batches; b++) {
    const records = Array.from({ length: 1500 }, (_, i) => ({ value: `w${b}-${i}` }));
    await skein.broker.produce('w', 0, compressedBatch(records, 1), 1);
  }
  const pool = skein.broker.workerPool!;
  const tasksBefore = pool.completed;
  const consumer = skein.consumer({ groupId: 'gw', maxBytesPerPartition: 64 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 });
  await consumer.subscribe({ topic: 'w', fromBeginning: true });
  const seen: string[] = [];
  let mostInFlight = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      // Tasks handed out and not yet taken by delivery: the window (DECOMPRESSIONS_AHEAD, 4).
      mostInFlight = Math.max(mostInFlight, pool.running + pool.queued);
      for (const m of batch.messages) seen.push(m.value!.toString());
      if (seen.length >= batches * 1500) done();
    },
  });
  await within(30_000, finished);
  await consumer.disconnect();
  assert.equal(seen, Array.from({ length: batches }, (_, b) => Array.from({ length: 1500 }, (_, i) => `w${b}-${i}`)).flat());
  // Each batch went to the lane at most once; the lane decompressed it, or skipped one the event
  // loop took back, or the loop did it without handing it out while taken-back batches filled
  // the window (test/client/pooled-decompression.test.ts has those cases with a held lane).
  await within(10_000, (async () => {
    while (pool.running + pool.queued > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  })());
  assert.ok(pool.completed - tasksBefore <= batches, `no batch handed to the pool twice (${pool.completed - tasksBefore} tasks for ${batches} batches)`);
  // (None may be out when a delivery runs, if the loop took them all back on a starved lane.)
  assert.ok(mostInFlight <= DECOMPRESSIONS_AHEAD, `at most ${DECOMPRESSIONS_AHEAD} decompressions handed out at once, saw ${mostInFlight}`);
  await skein.close();
});

test.run();
