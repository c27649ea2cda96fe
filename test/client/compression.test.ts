/**
 * The embedded producer's `compression` option: kafkajs's CompressionTypes (same names and
 * numbers as kafkajs exports) or codec names, per producer and per send; sends with
 * different codecs in one tick go to separate batches, each with its codec; bad values are
 * refused before anything is queued. Wire interop is in test/interop/compression.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Skein } from '../../src/client/skein.js';
import { CompressionTypes } from '../../src/index.js';
import { SkeinError } from '../../src/errors.js';
import { iterateBatches } from '../../src/records/record-iterator.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

async function codecsOf(skein: Skein, topic: string): Promise<number[]> {
  const result = await skein.broker.fetch({ partitions: [{ topic, partition: 0, fetchOffset: 0, maxBytes: 1 << 24 }], maxWaitMs: 0 });
  return result.partitions[0]!.records.flatMap((v) => [...iterateBatches(v)].map((b) => b.readInt16BE(21) & 7));
}

test('CompressionTypes has kafkajs\'s names and numbers', () => {
  assert.equal({ ...CompressionTypes }, { ...kafkajs.CompressionTypes });
});

test('per-producer default, per-send override; one tick, two codecs, two batches', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), numPartitions: 1 });
  try {
    const producer = skein.producer({ compression: CompressionTypes.LZ4 });
    const value = 'the same value, many times over '.repeat(10);
    await Promise.all([
      producer.send({ topic: 't', messages: [{ value }, { value }] }),
      producer.send({ topic: 't', messages: [{ value }], compression: 'zstd' }),
      producer.send({ topic: 't', messages: [{ value }], compression: CompressionTypes.None }),
      producer.send({ topic: 't', messages: [{ value }], compression: 'GZIP' as never }),
    ]);
    assert.equal((await codecsOf(skein, 't')).sort(), [0, 1, 3, 4]);
    await producer.disconnect();
  } finally {
    await skein.close();
  }
});

test('a compression that is not a codec → SKEIN_INVALID_ARGUMENT, nothing written', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), numPartitions: 1 });
  try {
    for (const bad of [5, -1, 'brotli', true, {}]) {
      assert.throws(() => skein.producer({ compression: bad as never }), (err: unknown) => err instanceof SkeinError && err.code === 'SKEIN_INVALID_ARGUMENT', String(bad));
    }
    const producer = skein.producer();
    for (const bad of [7, 'lz5']) {
      const err = await producer.send({ topic: 't', messages: [{ value: 'x' }], compression: bad as never }).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof SkeinError && err.code === 'SKEIN_INVALID_ARGUMENT', String(bad));
    }
    assert.not.ok(skein.broker.hasTopic('t'), 'refused before anything was queued (not even the topic created)');
    await producer.disconnect();
  } finally {
    await skein.close();
  }
});

test.run();
