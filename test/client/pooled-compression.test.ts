/**
 * The embedded producer compresses large batches on the partition's worker: what it sends
 * with each codec is stored with that codec, in the order of the sends (small batches sent in
 * between queue behind the pooled ones), with sequence numbers that follow (idempotence on),
 * and reads back record for record.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';
import { readAttributes, readBaseSequence } from '../../src/records/batch-header.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { within } from '../helpers/timeout.js';

test.after(cleanupTempDirs);

test('large compressed sends go through the pool; order, codecs and sequences hold', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'd'), workerPool: { size: 1 } });
  await skein.admin.createTopics({ topics: [{ topic: 't' }] });
  const producer = skein.producer({ batchSize: 1 << 20 });
  const expected: string[] = [];
  const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
  const sends: Array<Promise<unknown>> = [];
  for (const [c, compression] of codecs.entries()) {
    const large = Array.from({ length: 1500 }, (_, i) => ({ value: `${compression}-${i}-${'p'.repeat(40)}` }));
    sends.push(producer.send({ topic: 't', messages: large, compression }));
    expected.push(...large.map((m) => m.value));
    // A small send right behind it (its own batch: other acks; compressed inline) must not overtake it.
    sends.push(producer.send({ topic: 't', messages: [{ value: `small-${c}` }], compression, acks: 1 }));
    expected.push(`small-${c}`);
  }
  await within(30_000, Promise.all(sends));
  await producer.disconnect();
  assert.ok(skein.broker.workerPool!.completed >= 4, `pool tasks: ${skein.broker.workerPool!.completed}`);

  const read = skein.broker.partitionFor('t', 0).read(0, 1 << 30, true);
  const batches = read.records.flatMap((v) => [...iterateBatches(v)]);
  const values = batches.flatMap((b) => [...iterateRecords(b)].map((r) => r.value!.toString()));
  assert.equal(values, expected);
  const codecIds = batches.map((b) => readAttributes(b, 0) & 7);
  assert.equal(codecIds, [1, 1, 2, 2, 3, 3, 4, 4]);
  // Sequences continue batch after batch (0, 1500, 1501, 3001, ...).
  let next = 0;
  for (const b of batches) {
    assert.is(readBaseSequence(b, 0), next);
    next += [...iterateRecords(b)].length;
  }
  await skein.close();
});

test("the lane's output blocks are reused: a batch is sealed from its block before the block goes back", async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'd'), workerPool: { size: 1 } });
  await skein.admin.createTopics({ topics: [{ topic: 't' }] });
  const producer = skein.producer({ batchSize: 1 << 20 });
  const expected: string[] = [];
  // One at a time: each batch is sealed and its block given back before the next is compressed.
  for (let n = 0; n < 12; n++) {
    const large = Array.from({ length: 1500 }, (_, i) => ({ value: `send ${n} record ${i} ${'q'.repeat(30 + (n % 5))}` }));
    await within(30_000, producer.send({ topic: 't', messages: large, compression: n % 2 === 0 ? 'gzip' : 'lz4' }));
    expected.push(...large.map((m) => m.value));
  }
  await producer.disconnect();
  const blocks = await skein.broker.workerPool!.run<{ allocated: number }>('t\u00000', 'outputBlocks', null);
  assert.ok(blocks.allocated <= 2, `12 pooled compressions through ${blocks.allocated} output blocks`);
  const read = skein.broker.partitionFor('t', 0).read(0, 1 << 30, true);
  const values = read.records.flatMap((v) => [...iterateBatches(v)]).flatMap((b) => [...iterateRecords(b)].map((r) => r.value!.toString()));
  assert.equal(values, expected);
  await skein.close();
});

test.run();
