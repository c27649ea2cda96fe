/**
 * Helpers for the native tests: temp folders with real files, RecordBatch v2 framing built by
 * hand (header fields + CRC-32C through the addon), and a garbage-collection loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { native } from '../../src/native/binding.js';
import { collectUntil as collectUntilShared } from '../helpers/gc.js';

export function makeTempDir(prefix = 'skein-native-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The 61-byte RecordBatch v2 header; batchLength counts the bytes after its own field. */
export const HEADER_SIZE = 61;
export const LOG_OVERHEAD = 12;

/**
 * One RecordBatch v2 of `totalBytes` bytes (>= 61): a valid header, `recordCount` claimed,
 * random bytes standing in for the records, and the CRC-32C of bytes 21..end. The scanner
 * checks framing and CRC only, so the record bytes need not decode.
 */
export function makeBatch(baseOffset: number, totalBytes: number, recordCount = 1): Buffer {
  if (totalBytes < HEADER_SIZE) throw new Error(`a batch has at least ${HEADER_SIZE} bytes`);
  const batch = Buffer.alloc(totalBytes);
  batch.writeBigInt64BE(BigInt(baseOffset), 0);
  batch.writeInt32BE(totalBytes - LOG_OVERHEAD, 8); // batchLength
  batch.writeInt32BE(0, 12); // partitionLeaderEpoch
  batch.writeInt8(2, 16); // magic
  batch.writeInt16BE(0, 21); // attributes
  batch.writeInt32BE(recordCount - 1, 23); // lastOffsetDelta
  batch.writeBigInt64BE(1_700_000_000_000n, 27); // baseTimestamp
  batch.writeBigInt64BE(1_700_000_000_000n, 35); // maxTimestamp
  batch.writeBigInt64BE(-1n, 43); // producerId
  batch.writeInt16BE(-1, 51); // producerEpoch
  batch.writeInt32BE(-1, 53); // baseSequence
  batch.writeInt32BE(recordCount, 57); // records count
  randomBytes(totalBytes - HEADER_SIZE).copy(batch, HEADER_SIZE);
  sealBatch(batch, 0);
  return batch;
}

/** Recomputes and stores the CRC of the batch starting at `at` (after editing its bytes). */
export function sealBatch(buf: Buffer, at: number): void {
  const total = LOG_OVERHEAD + buf.readInt32BE(at + 8);
  buf.writeUInt32BE(native.crc32c(buf.subarray(at + 21, at + total)), at + 17);
}

/** `count` batches of assorted sizes, concatenated, with their boundaries. */
export function makeBatches(count: number, sizes: (i: number) => number = (i) => HEADER_SIZE + ((i * 97) % 700)): {
  bytes: Buffer;
  ends: number[];
} {
  const parts: Buffer[] = [];
  const ends: number[] = [];
  let end = 0;
  for (let i = 0; i < count; i++) {
    const part = makeBatch(i * 10, sizes(i), 10);
    parts.push(part);
    end += part.length;
    ends.push(end);
  }
  return { bytes: Buffer.concat(parts), ends };
}

/** The shared collector loop (test/helpers/gc.ts), with this file's default of 20 tries. */
export function collectUntil(done: () => boolean, tries = 20): Promise<boolean> {
  return collectUntilShared(done, tries);
}

/** Collects what earlier tests left behind, so stats() baselines hold only the test's own mappings. */
export async function settle(rounds = 5): Promise<void> {
  await collectUntil(() => false, rounds);
}

/** The error `fn` throws (or the rejection of the promise it returns). */
export async function caught(fn: () => unknown): Promise<Error & { code?: string; errno?: string; syscall?: string; path?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error, none was thrown');
}
