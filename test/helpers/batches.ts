/** Record batches for storage tests, built and read back with the project's codec. */
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';

/** A batch of `count` records whose values are `${tag}-${i}` padded to `valueBytes`. */
export function batchOf(tag: string, count = 1, valueBytes = 100, timestamp = Date.now()): Buffer {
  const records = [];
  for (let i = 0; i < count; i++) {
    records.push({ key: `k-${tag}-${i}`, value: `${tag}-${i}`.padEnd(valueBytes, '.'), timestamp });
  }
  return encodeRecordBatch(records);
}

export interface ReadBack {
  offset: number;
  value: string;
  timestamp: number;
}

/** Every record in views of whole batches, in order, from `fromOffset` on. */
export function recordsOf(views: Buffer[], fromOffset = -Infinity): ReadBack[] {
  const out: ReadBack[] = [];
  for (const view of views) {
    for (const batch of iterateBatches(view)) {
      for (const record of iterateRecords(batch)) {
        if (record.offset >= fromOffset) {
          out.push({ offset: record.offset, value: record.value ? record.value.toString() : '', timestamp: record.timestamp });
        }
      }
    }
  }
  return out;
}
