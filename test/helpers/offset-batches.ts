/**
 * Batches whose whole content is a function of the base offset they are appended at.
 *
 * A writer appends `batchForBase(log.logEndOffset)` (appends are synchronous inside, so that
 * is the offset the batch gets); a checker that finds a batch at base offset B anywhere in a
 * log (acknowledged or not, written by this process or by a killed child) can rebuild the
 * exact bytes that must be there and compare them byte for byte, then decode both and
 * compare the records field by field. So no list of what was written has to survive a crash.
 */
import { encodeRecordBatch, type RecordInput } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch, type DecodedRecord } from '../../src/records/decode-record-batch.js';
import { LOG_OVERHEAD, readBatchLength } from '../../src/records/batch-header.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { Random, seedOf } from './random.js';

export interface BatchProfile {
  /** Records per batch: 1..maxRecords. */
  maxRecords: number;
  /** Typical value size: 0..smallValueBytes. */
  smallValueBytes: number;
  /** Chance that a record's value is large (largeValueBytes/2..largeValueBytes). */
  largeChance: number;
  largeValueBytes: number;
}

/** The crash test's profile: 1..50 records, mostly small values, a few of 2 KiB. */
export const CRASH_PROFILE: BatchProfile = { maxRecords: 50, smallValueBytes: 160, largeChance: 0.02, largeValueBytes: 2048 };
/** Small batches for damage tests: many batches per segment. */
export const SMALL_PROFILE: BatchProfile = { maxRecords: 6, smallValueBytes: 120, largeChance: 0, largeValueBytes: 0 };

/** The records appended at `base` (timestamps from `t0`, one ms per offset). */
export function recordsForBase(base: number, t0: number, profile: BatchProfile): RecordInput[] {
  const rng = new Random(seedOf(base, profile.maxRecords, profile.smallValueBytes));
  const count = rng.int(1, profile.maxRecords);
  const records: RecordInput[] = [];
  for (let i = 0; i < count; i++) {
    const offset = base + i;
    const large = rng.chance(profile.largeChance);
    const size = large ? rng.int(profile.largeValueBytes >> 1, profile.largeValueBytes) : rng.int(0, profile.smallValueBytes);
    const headers = [];
    const headerCount = rng.int(0, 2);
    for (let h = 0; h < headerCount; h++) headers.push({ key: `h${h}`, value: rng.chance(0.2) ? null : rng.bytes(rng.int(0, 12)) });
    records.push({
      key: rng.chance(0.15) ? null : `key-${offset}`,
      value: rng.chance(0.05) ? null : rng.bytes(size),
      headers,
      // Out of order within a batch now and then: the log must keep timestamps as sent.
      timestamp: t0 + offset + (rng.chance(0.1) ? -rng.int(1, 5) : 0),
    });
  }
  return records;
}

/** Generated batches, so a checker that rereads a growing log does not regenerate them every time. */
const cache = new Map<string, { records: RecordInput[]; bytes: Buffer }>();

function generated(base: number, t0: number, profile: BatchProfile): { records: RecordInput[]; bytes: Buffer } {
  const key = `${base}/${t0}/${profile.maxRecords}/${profile.smallValueBytes}/${profile.largeChance}/${profile.largeValueBytes}`;
  let entry = cache.get(key);
  if (!entry) {
    const records = recordsForBase(base, t0, profile);
    entry = { records, bytes: encodeRecordBatch(records, { baseOffset: base }) };
    if (cache.size > 100_000) cache.clear();
    cache.set(key, entry);
  }
  return entry;
}

/** The exact bytes the log must hold for the batch at `base` (baseOffset already patched). */
export function batchForBase(base: number, t0: number, profile: BatchProfile): Buffer {
  return generated(base, t0, profile).bytes;
}

function sameRecord(got: DecodedRecord, want: RecordInput, offset: number): string | undefined {
  const asBuf = (v: unknown) => (v === null || v === undefined ? null : Buffer.from(v as Uint8Array | string));
  const eq = (a: Buffer | null, b: Buffer | null) => (a === null ? b === null : b !== null && a.equals(b));
  if (got.offset !== offset) return `offset ${got.offset}, want ${offset}`;
  if (got.timestamp !== want.timestamp) return `timestamp ${got.timestamp}, want ${String(want.timestamp)}`;
  if (!eq(got.key, asBuf(want.key))) return 'key differs';
  if (!eq(got.value, asBuf(want.value))) return 'value differs';
  const wantHeaders = (want.headers ?? []) as { key: string; value: Uint8Array | null }[];
  if (got.headers.length !== wantHeaders.length) return 'header count differs';
  for (let h = 0; h < wantHeaders.length; h++) {
    if (got.headers[h]!.key !== wantHeaders[h]!.key || !eq(got.headers[h]!.value, asBuf(wantHeaders[h]!.value))) {
      return `header ${h} differs`;
    }
  }
  return undefined;
}

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: number;
}

/**
 * Checks one batch read from a log: it decodes (CRC included), is byte-identical to
 * batchForBase(its base offset), and its records match the inputs field by field. Throws an
 * Error naming the offset otherwise.
 */
export function checkBatch(batch: Buffer, t0: number, profile: BatchProfile): StoredBatch {
  const decoded = decodeRecordBatch(batch);
  const base = decoded.baseOffset;
  const { bytes: want, records: inputs } = generated(base, t0, profile);
  if (decoded.records.length !== inputs.length) {
    throw new Error(`batch at ${base}: ${decoded.records.length} records, want ${inputs.length}`);
  }
  for (let i = 0; i < inputs.length; i++) {
    const problem = sameRecord(decoded.records[i]!, inputs[i]!, base + i);
    if (problem) throw new Error(`batch at ${base}, record ${base + i}: ${problem}`);
  }
  if (!batch.equals(want)) throw new Error(`batch at ${base}: bytes differ from what was appended`);
  return { baseOffset: base, lastOffset: decoded.lastOffset, bytes: batch.length };
}

/**
 * Splits a read view into its batches, failing if the view does not consist of whole
 * batches exactly (a partial batch must never be visible).
 */
export function splitWhole(view: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < view.length) {
    if (at + LOG_OVERHEAD > view.length) throw new Error(`view ends inside a batch header at ${at} of ${view.length}`);
    const size = LOG_OVERHEAD + readBatchLength(view, at);
    if (size < 61 || at + size > view.length) throw new Error(`view holds a partial batch at ${at} (size ${size}, view ${view.length})`);
    out.push(view.subarray(at, at + size));
    at += size;
  }
  return out;
}

/**
 * Reads a whole log from logStartOffset and checks every batch (see checkBatch), that offsets
 * are contiguous, and that the reads end exactly at logEndOffset. Returns the batches.
 */
export function checkWholeLog(log: PartitionLog, t0: number, profile: BatchProfile, maxBytes = 256 * 1024): StoredBatch[] {
  const batches: StoredBatch[] = [];
  let next = log.logStartOffset;
  const end = log.logEndOffset;
  while (next < end) {
    const read = log.read(next, { maxBytes });
    if (read.views.length === 0) throw new Error(`read(${next}) returned nothing below logEndOffset ${end}`);
    if (read.firstOffset !== next) throw new Error(`read(${next}) starts at ${read.firstOffset}`);
    for (const view of read.views) {
      for (const batch of splitWhole(view)) {
        const stored = checkBatch(batch, t0, profile);
        if (stored.baseOffset !== next) throw new Error(`offsets not contiguous: batch at ${stored.baseOffset}, expected ${next}`);
        batches.push(stored);
        next = stored.lastOffset + 1;
      }
    }
    if (read.nextOffset !== next) throw new Error(`read.nextOffset ${read.nextOffset}, batches end at ${next}`);
  }
  if (next !== end) throw new Error(`batches end at ${next}, logEndOffset is ${end}`);
  return batches;
}
