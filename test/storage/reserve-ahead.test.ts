/**
 * The active segment reserves its next extent before the writer reaches the end of the one it
 * has (storage/segment-space.ts, ExtentReservation.reserveAhead), so the pages past it can be
 * faulted in ahead of the writer: after every append the file reaches further than the data by
 * more than the smallest prefault window, and the data read back is what was written.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

/** The smallest window of pages faulted in ahead of the writer (PrefaultWindow). */
const MIN_LEAD = 256 * 1024;

test('after every append the reservation runs ahead of the data by more than the prefault window', async () => {
  const dir = join(tempDir(), 'p-0');
  // A small first extent (64 KiB): without reserving ahead, the writer reached its end after
  // a few appends, with nothing reserved (or faulted in) past it.
  const log = await PartitionLog.open(dir, { config: { segmentBytes: 64 * 1024 * 1024, preallocateBytes: 64 * 1024, segmentMs: Infinity } });
  try {
    const file = join(dir, '00000000000000000000.log');
    let end = 0;
    const value = Buffer.alloc(1000, 0x61);
    for (let i = 0; i < 600; i++) {
      const batch = encodeRecordBatch(Array.from({ length: 10 }, (_, j) => ({ value: Buffer.concat([Buffer.from(`${i}.${j}:`), value]) })));
      log.appendSync(batch);
      end += batch.length;
      const reserved = statSync(file).size;
      assert.ok(reserved - end > MIN_LEAD, `after append ${i}: ${end} bytes written, ${reserved} reserved`);
    }
    assert.ok(end > 4 * 1024 * 1024, 'the writer went through several extents');
    let n = 0;
    for (let next = 0; next < log.logEndOffset; ) {
      const read = log.read(next, { maxBytes: 1024 * 1024 });
      for (const view of read.views) {
        for (const batch of iterateBatches(view)) {
          for (const record of iterateRecords(batch)) {
            if (record.offset < next) continue;
            const prefix = `${Math.floor(n / 10)}.${n % 10}:`;
            assert.is(record.value!.subarray(0, prefix.length).toString(), prefix);
            n++;
          }
        }
      }
      next = read.nextOffset;
    }
    assert.is(n, 6000);
  } finally {
    await log.close();
  }
});

test.run();
