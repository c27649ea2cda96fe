/**
 * One replica's log as it lies on disk: every data record (offset, value) of a partition folder,
 * read straight from its segment files in offset order, for comparing replicas with each other
 * (a truncated follower's log must equal its leader's). Readable while the broker runs: the
 * scan stops at a segment's zeroed preallocated tail or at a batch still being written (bad
 * length or CRC), so a live tail reads as "not there yet", never as garbage. Control batches
 * (transaction markers) are skipped.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRecordBatch } from '../../../src/records/decode-record-batch.js';
import type { ReadRecord } from './checker.js';

const LOG_OVERHEAD = 12;

export function diskRecords(partitionDir: string): ReadRecord[] {
  if (!existsSync(partitionDir)) return [];
  const segments = readdirSync(partitionDir).filter((f) => /^\d{20}\.log$/.test(f)).sort();
  const out: ReadRecord[] = [];
  for (const name of segments) {
    const bytes = readFileSync(join(partitionDir, name));
    let pos = 0;
    while (pos + LOG_OVERHEAD <= bytes.length) {
      const length = bytes.readInt32BE(pos + 8);
      if (length <= 0 || pos + LOG_OVERHEAD + length > bytes.length) break;
      let batch;
      try {
        batch = decodeRecordBatch(bytes.subarray(pos, pos + LOG_OVERHEAD + length));
      } catch {
        break;
      }
      if (!batch.isControl) for (const r of batch.records) out.push({ offset: r.offset, value: r.value?.toString() ?? '' });
      pos += LOG_OVERHEAD + length;
    }
  }
  return out;
}
