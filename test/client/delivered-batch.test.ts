/**
 * eachBatch's batch (client/consumer/delivered-batch.ts): records() reads the same records as the
 * lazily built messages, in place; from a seek into the middle of a record batch both start at
 * the seek offset; the kafkajs helpers (isEmpty, firstOffset, lastOffset, offsetLag(Low))
 * agree with the messages; compressed batches read through records() too; on a compacted
 * topic with records cleaned out of batches, eachBatch hands each surviving record once and
 * the position moves past the cleaned ranges (the consumer reaches the log end).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import type { Batch } from '../../src/client/consumer.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Seen {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
}

function viaRecords(batch: Batch): Seen[] {
  const out: Seen[] = [];
  const r = batch.records();
  while (r.next()) {
    out.push({
      offset: r.offset,
      timestamp: r.timestamp,
      key: r.keyLength < 0 ? null : r.bytes.toString('utf8', r.keyStart, r.keyStart + r.keyLength),
      value: r.valueLength < 0 ? null : r.bytes.toString('utf8', r.valueStart, r.valueStart + r.valueLength),
    });
  }
  return out;
}

function viaMessages(batch: Batch): Seen[] {
  return batch.messages.map((m) => ({ offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key?.toString() ?? null, value: m.value?.toString() ?? null }));
}

test('records() and messages agree, plain and gzip, from a seek into the middle of a batch', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic: 'views', numPartitions: 1 }] });
  const producer = skein.producer({ batchSize: 64 * 1024 });
  for (let s = 0; s < 10; s++) {
    await producer.send({
      topic: 'views',
      compression: s % 3 === 2 ? 'gzip' : undefined,
      messages: Array.from({ length: 1000 }, (_, i) => ({ key: i % 4 === 0 ? null : `k${i}`, value: i % 97 === 5 ? null : `value-${s * 1000 + i}` })),
    });
  }
  const consumer = skein.consumer({ groupId: 'views', maxWaitTimeInMs: 20, maxBytesPerPartition: 256 * 1024 });
  await consumer.subscribe({ topic: 'views', fromBeginning: true });
  // 1234 is inside the second producer batch.
  consumer.seek({ topic: 'views', partition: 0, offset: 1234 });
  const records: Seen[] = [];
  const messages: Seen[] = [];
  const batches: Array<{ first: string | null; last: string; empty: boolean; lagLow: string; lag: string; high: string }> = [];
  await consumer.run({
    eachBatch: async ({ batch }) => {
      // records() first: the messages are not built yet, and reading them must not change it.
      const inPlace = viaRecords(batch);
      const built = viaMessages(batch);
      assert.equal(inPlace, built);
      assert.equal(viaRecords(batch), inPlace, 'each records() call starts over');
      records.push(...inPlace);
      messages.push(...built);
      batches.push({ first: batch.firstOffset(), last: batch.lastOffset(), empty: batch.isEmpty(), lagLow: batch.offsetLagLow(), lag: batch.offsetLag(), high: batch.highWatermark });
    },
  });
  await until(() => records.length === 10_000 - 1234, 'every record from the seek on');
  await consumer.disconnect();
  assert.equal(
    records.map((r) => r.offset),
    Array.from({ length: 10_000 - 1234 }, (_, i) => 1234 + i),
  );
  for (const r of records) {
    const s = Math.floor(r.offset / 1000);
    const i = r.offset % 1000;
    assert.is(r.value, i % 97 === 5 ? null : `value-${s * 1000 + i}`);
    assert.is(r.key, i % 4 === 0 ? null : `k${i}`);
    assert.ok(r.timestamp > 1_700_000_000_000);
  }
  assert.is(batches[0]!.first, '1234');
  assert.ok(batches.length > 1, 'several eachBatch calls');
  for (const b of batches) {
    assert.is(b.empty, false);
    assert.is(b.high, '10000');
    assert.is(b.lag, String(9999 - Number(b.last)));
    assert.is(b.lagLow, String(9999 - Number(b.first)));
  }
  assert.is(batches[batches.length - 1]!.last, '9999');
  await skein.close();
});

test('a batch kept after its handler returned still reads its messages (made again: delivery lets the first ones go)', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic: 'kept' }] });
  const producer = skein.producer();
  await producer.send({ topic: 'kept', messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  const consumer = skein.consumer({ groupId: 'kept' });
  await consumer.subscribe({ topic: 'kept', fromBeginning: true });
  const kept: Array<{ batch: Batch; firstRead: ReturnType<Batch['messages']['slice']> }> = [];
  let seen = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      kept.push({ batch, firstRead: batch.messages.slice() });
      seen += batch.messages.length;
    },
  });
  await until(() => seen >= 50, '50 messages');
  await consumer.disconnect();
  for (const { batch, firstRead } of kept) {
    const again = batch.messages;
    assert.is(again.length, firstRead.length);
    assert.equal(
      again.map((m) => [m.offset, m.key?.toString(), m.value?.toString()]),
      firstRead.map((m) => [m.offset, m.key?.toString(), m.value?.toString()]),
    );
  }
  await producer.disconnect();
  await skein.close();
});

test('a compacted topic through eachBatch: each surviving record once, then the log end', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0, logCleanerIntervalMs: 0 });
  await skein.admin.createTopics({
    topics: [{ topic: 'state', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '2048' }] }],
  });
  const producer = skein.producer();
  const latest = new Map<string, string>();
  for (let i = 0; i < 120; i++) {
    const messages = [0, 1].map((j) => ({ key: `key-${(i * 2 + j) % 7}`, value: `v${i}-${j}` }));
    await producer.send({ topic: 'state', messages });
    for (const m of messages) latest.set(m.key, m.value);
  }
  const round = await skein.broker.runLogCleaner();
  assert.is(round.partitionsCleaned, 1);
  const end = skein.broker.offsets('state', 0).highWatermark;
  const consumer = skein.consumer({ groupId: 'compacted', maxWaitTimeInMs: 20 });
  await consumer.subscribe({ topic: 'state', fromBeginning: true });
  const seen = new Map<string, string>();
  const offsets: number[] = [];
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const r of viaRecords(batch)) {
        offsets.push(r.offset);
        seen.set(r.key!, r.value!);
      }
    },
  });
  await until(() => consumer.lag().every((l) => l.position === end), 'the position at the log end');
  await consumer.disconnect();
  assert.equal(seen, latest);
  assert.equal(offsets, [...new Set(offsets)].sort((a, b) => a - b), 'each record once, in order');
  assert.ok(offsets.length < 240, `cleaned records are gone (${offsets.length} of 240 left)`);
  await skein.close();
});

test.run();
