/**
 * Damage done to a stopped broker's partition folder, the way a crash, a torn write or a bad
 * disk leaves it, for fault tests (the broker must recover what is intact and fetch the rest):
 * a flipped byte inside the last batch (its CRC no longer matches), a segment cut inside its
 * last batch, garbage after the last batch, an offset or time index overwritten with garbage,
 * an unreadable leader-epoch-checkpoint. Each returns what it did, for the test's messages.
 *
 * Only for folders whose broker is not running (SIGKILLed): writes files directly.
 */
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOG_OVERHEAD = 12;

function lastSegment(partitionDir: string, suffix: string): string {
  const names = readdirSync(partitionDir).filter((f) => f.endsWith(suffix) && /^\d{20}\./.test(f)).sort();
  const last = names[names.length - 1];
  if (!last) throw new Error(`no ${suffix} file in ${partitionDir}`);
  return join(partitionDir, last);
}

/** [start, end) of every whole batch of the newest segment that holds one (a fresh rolled segment may be empty). */
function batches(partitionDir: string): { path: string; spans: Array<[number, number]> } {
  const names = readdirSync(partitionDir).filter((f) => /^\d{20}\.log$/.test(f)).sort().reverse();
  for (const name of names) {
    const path = join(partitionDir, name);
    const bytes = readFileSync(path);
    const spans: Array<[number, number]> = [];
    let pos = 0;
    while (pos + LOG_OVERHEAD <= bytes.length) {
      const length = bytes.readInt32BE(pos + 8);
      if (length <= 0 || pos + LOG_OVERHEAD + length > bytes.length) break;
      spans.push([pos, pos + LOG_OVERHEAD + length]);
      pos += LOG_OVERHEAD + length;
    }
    if (spans.length > 0) return { path, spans };
  }
  throw new Error(`no batch in any segment of ${partitionDir}`);
}

/** Flips one byte in the records of the last batch: its CRC-32C no longer matches. */
export function flipByteInLastBatch(partitionDir: string): string {
  const { path, spans } = batches(partitionDir);
  const [start, end] = spans[spans.length - 1]!;
  const bytes = readFileSync(path);
  const at = end - 2;
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(path, bytes);
  return `flipped byte ${at} of the last batch [${start}, ${end}) of ${path}`;
}

/** Cuts the segment file in the middle of its last batch (a torn write at a crash). */
export function cutInsideLastBatch(partitionDir: string): string {
  const { path, spans } = batches(partitionDir);
  const [start, end] = spans[spans.length - 1]!;
  const at = start + Math.floor((end - start) / 2);
  truncateSync(path, at);
  return `cut ${path} at ${at}, inside its last batch [${start}, ${end})`;
}

/** Writes bytes that look like a batch header with an impossible length, then noise, right after the last batch. */
export function garbageAfterLastBatch(partitionDir: string): string {
  const { path, spans } = batches(partitionDir);
  const end = spans[spans.length - 1]![1];
  const bytes = readFileSync(path);
  const noise = Buffer.alloc(64, 0x5a);
  noise.writeInt32BE(0x7fff0000, 8);
  const out = Buffer.concat([bytes.subarray(0, end), noise, bytes.subarray(Math.min(bytes.length, end + noise.length))]);
  writeFileSync(path, out);
  return `wrote 64 bytes of garbage after the last batch of ${path} (at ${end})`;
}

/** Overwrites the newest offset (or time) index with garbage entries. */
export function garbleIndex(partitionDir: string, suffix: '.index' | '.timeindex' = '.index'): string {
  // The active segment's indexes live in memory until it rolls or the log closes: a log that
  // never rolled has no index file to damage.
  const names = readdirSync(partitionDir).filter((f) => f.endsWith(suffix));
  if (names.length === 0) return `no ${suffix} file in ${partitionDir} to damage`;
  const path = lastSegment(partitionDir, suffix);
  const size = Math.max(64, readFileSync(path).length);
  const junk = Buffer.alloc(Math.min(size, 4096));
  for (let i = 0; i < junk.length; i += 4) junk.writeUInt32BE((0x9e3779b1 * (i + 7)) >>> 0, i);
  writeFileSync(path, junk.subarray(0, junk.length - 3));
  return `overwrote ${path} with ${junk.length - 3} bytes of garbage`;
}

/** Makes leader-epoch-checkpoint unreadable as one (a malformed entry, a wrong count). */
export function garbleEpochCheckpoint(partitionDir: string): string {
  const path = join(partitionDir, 'leader-epoch-checkpoint');
  writeFileSync(path, '0\n3\n0 0\nnot an entry\n');
  return `garbled ${path}`;
}
