/**
 * Segment reads at the tail start where the previous read ended (the read hint) instead of
 * walking every header since the sparse offset index entry. The hint must never change what
 * a read returns: tail reads after each append, reads behind the hint, reads after a roll,
 * and reads after a reopen all return exactly the asked offsets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

function offsetsOf(views: Buffer[]): number[] {
  return views.flatMap((v) => [...iterateBatches(v)].flatMap((b) => [...iterateRecords(b)].map((r) => r.offset)));
}

test('tail reads, reads behind the hint and across rolls return exactly the asked offsets', async () => {
  const dir = join(tempDir(), 'p-0');
  const log = await PartitionLog.open(dir, { config: { segmentBytes: 64 * 1024, indexIntervalBytes: 4096 } });
  for (let i = 0; i < 1500; i++) {
    log.appendSync(encodeRecordBatch([{ value: `v${i}-${'x'.repeat(i % 50)}` }]));
    // The consumer at the tail: reads the record just appended.
    assert.equal(offsetsOf(log.read(i, { maxBytes: 1 }).views), [i], `tail read at ${i}`);
    if (i % 97 === 0 && i > 0) {
      // A reader behind the hint (another consumer, or a seek back).
      const back = Math.floor(i / 3);
      assert.equal(offsetsOf(log.read(back, { maxBytes: 1 }).views), [back], `read back at ${back} after ${i}`);
      assert.equal(offsetsOf(log.read(i, { maxBytes: 1 }).views), [i]);
    }
  }
  assert.ok(log.segmentCount > 1, 'the writes rolled segments');
  const all = offsetsOf(log.read(0, { maxBytes: 1 << 30 }).views);
  assert.equal(all.slice(0, 5), [0, 1, 2, 3, 4]);
  await log.close();
  const reopened = await PartitionLog.open(dir, { config: { segmentBytes: 64 * 1024, indexIntervalBytes: 4096 } });
  for (const at of [0, 700, 1499, 1200]) assert.equal(offsetsOf(reopened.read(at, { maxBytes: 1 }).views), [at], `after reopen at ${at}`);
  await reopened.close();
});

test.run();
