/**
 * One cleaning pass over the sealed segments of a compacted log: the file work only, so it can
 * run in a worker thread (clean-task.ts) while the log goes on appending. Kafka's LogCleaner:
 *
 *   clean section   [log start, firstDirtyOffset): cleaned before, one record per key
 *   dirty section   [firstDirtyOffset, endOffset): written since; its keys fill the OffsetMap
 *   not cleanable   the active segment, and segments newer than min.compaction.lag.ms
 *
 * The pass reads the dirty section once to map each key to its last offset (stopping at a
 * segment boundary if the map fills), then rewrites every segment of [log start, cleanedUpTo)
 * in groups of consecutive segments (at most segment.bytes together) into one
 * `<base>.log.cleaned` file per group, synced to disk. A record is kept unless a later record
 * of its key exists in the dirty section, or it is a tombstone (null value) whose batch is
 * older than delete.retention.ms. Offsets never change: a batch keeps its baseOffset,
 * lastOffsetDelta, producer id/epoch and baseSequence, and only loses records (Kafka's v2
 * rule), so gaps appear between and inside batches. A batch left with no records is dropped,
 * unless it is the last batch of its producer: then it stays as an empty batch so that the
 * producer's last sequence survives a rebuild of producer state (as Kafka keeps it).
 *
 * Compressed batches are cleaned as Kafka cleans them: both passes decompress the batch's
 * records (src/records/compression/, capped at plan.maxDecompressedBytes), and a batch that
 * loses records is written back with the same codec around the records it keeps (same header
 * fields, new length, count and CRC). An empty batch kept for its producer is written
 * uncompressed (no records to compress), as Kafka writes it. A batch whose records would
 * decompress past the cap is copied unchanged and its keys are not mapped (so nothing it
 * supersedes is removed): cleaning never loses a record it cannot read. Control batches are
 * copied unchanged. The caller swaps the cleaned files in (log-compaction.ts). Nothing here
 * touches the live segments' files except to read them.
 */
import { closeSync, fsyncSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { native } from '../../native/binding.js';
import {
  ATTRIBUTES,
  BATCH_LENGTH,
  CONTROL_FLAG_MASK,
  COMPRESSION_CODEC_MASK,
  CRC,
  CRC_START,
  HEADER_SIZE,
  LOG_OVERHEAD,
  RECORDS_COUNT,
  readBaseOffset,
  readBatchLength,
  readInt16BE,
  readLastOffsetDelta,
  readMaxTimestamp,
  readProducerId,
  readRecordsCount,
  writeInt32BE,
} from '../../records/batch-header.js';
import { checkBatch, recordsOf, type RecordsSection } from '../../records/decode-record-batch.js';
import { compress } from '../../records/compression/index.js';
import { readVarint, readVarlong } from '../../records/varint.js';
import { SkeinError, fromSystemError } from '../../errors.js';
import { OffsetMap, keyString } from './offset-map.js';
import { cleanedFile } from '../file-names.js';

export interface CleanSegmentInfo {
  baseOffset: number;
  /** Offset after the segment's last batch. */
  nextOffset: number;
  /** Bytes of batches in the file (the file may be longer: preallocated zeros). */
  size: number;
  path: string;
}

export interface CleanPlan {
  dir: string;
  /** Sealed segments from the log start to the last cleanable one, in order. */
  segments: CleanSegmentInfo[];
  /** Offsets below this were cleaned by an earlier pass. */
  firstDirtyOffset: number;
  nowMs: number;
  deleteRetentionMs: number;
  /** Largest output segment (segment.bytes). */
  segmentBytes: number;
  /** Bound on distinct keys mapped per pass. */
  maxMapEntries: number;
  /** Largest records section a compressed batch may decompress to (max.message.bytes); larger ones are copied whole. */
  maxDecompressedBytes: number;
}

export interface CleanedGroup {
  baseOffset: number;
  /** The group replaces the segments whose base offsets lie in [baseOffset, endOffset). */
  endOffset: number;
  oldBases: number[];
  cleanedPath: string;
  bytesIn: number;
  bytesOut: number;
}

export interface CleanOutcome {
  groups: CleanedGroup[];
  /** Offsets below this are clean once the groups are swapped in (the new firstDirtyOffset). */
  cleanedUpTo: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  keysMapped: number;
}

/** Bytes read per step from a segment file. */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
/** Output is written in writes of about this size. */
const WRITE_CHUNK_BYTES = 1024 * 1024;
const MAX_OFFSETS_PER_SEGMENT = 2 ** 31 - 1;

/** Test hook: called at named points of the pass (a crash test kills the process there). */
export type CleanStepHook = (step: string) => void;

export function cleanSegments(plan: CleanPlan, onStep: CleanStepHook = () => {}): CleanOutcome {
  const map = new OffsetMap(plan.maxMapEntries);
  const lastBatchOfProducer = new Map<number, number>();
  let cleanedUpTo = plan.segments.length > 0 ? plan.segments[0]!.baseOffset : plan.firstDirtyOffset;
  let bytesRead = 0;
  let recordsRead = 0;
  // Pass 1: map keys of the dirty section; note each producer's last batch everywhere.
  let last = -1;
  for (let i = 0; i < plan.segments.length; i++) {
    const segment = plan.segments[i]!;
    const dirty = segment.nextOffset > plan.firstDirtyOffset;
    if (dirty && map.full) break;
    for (const batch of batchesOfFile(segment)) {
      bytesRead += batch.length;
      const pid = readProducerId(batch, 0);
      const lastOffset = readBaseOffset(batch, 0) + readLastOffsetDelta(batch, 0);
      if (pid >= 0) lastBatchOfProducer.set(pid, lastOffset);
      if (!dirty || isControl(batch)) continue;
      const section = recordsSectionOf(batch, plan.maxDecompressedBytes);
      if (section === undefined) continue;
      const bytes = section.bytes;
      walkRecords(batch, section, (offset, keyStart, keyEnd) => {
        recordsRead += 1;
        if (keyStart >= 0 && offset >= plan.firstDirtyOffset) map.put(keyString(bytes, keyStart, keyEnd), offset);
      });
    }
    last = i;
    cleanedUpTo = i + 1 < plan.segments.length ? plan.segments[i + 1]!.baseOffset : segment.nextOffset;
  }
  onStep('mapped');
  const toClean = plan.segments.slice(0, last + 1);
  const groups: CleanedGroup[] = [];
  let bytesWritten = 0;
  let recordsKept = 0;
  for (const group of groupSegments(toClean, plan.segmentBytes)) {
    const first = group[0]!;
    const endIndex = plan.segments.indexOf(group[group.length - 1]!) + 1;
    const endOffset = endIndex < plan.segments.length ? plan.segments[endIndex]!.baseOffset : cleanedUpTo;
    const path = cleanedFile(plan.dir, first.baseOffset);
    const out = new FileWriter(path);
    let bytesIn = 0;
    let lastBatch: Buffer | undefined;
    try {
      for (const segment of group) {
        for (const batch of batchesOfFile(segment)) {
          bytesIn += batch.length;
          lastBatch = batch;
          const kept = filterBatch(batch, map, lastBatchOfProducer, plan);
          recordsKept += kept.records;
          if (kept.bytes) out.write(kept.bytes);
        }
      }
      // The first segment of the log must keep a batch, or the log start offset would move
      // (an empty segment is dropped): an empty batch stands for what was cleaned away.
      if (out.bytes === 0 && groups.length === 0 && lastBatch) out.write(emptyBatchOf(lastBatch));
      onStep('cleaned-written');
      out.finish();
    } catch (err) {
      out.abandon();
      throw err;
    }
    groups.push({ baseOffset: first.baseOffset, endOffset, oldBases: group.map((s) => s.baseOffset), cleanedPath: path, bytesIn, bytesOut: out.bytes });
    bytesWritten += out.bytes;
  }
  return { groups, cleanedUpTo, bytesRead, bytesWritten, recordsRead, recordsKept, keysMapped: map.size };
}

/** Consecutive segments whose sizes add up to at most segmentBytes (at least one each). */
function* groupSegments(segments: CleanSegmentInfo[], segmentBytes: number): Generator<CleanSegmentInfo[]> {
  let group: CleanSegmentInfo[] = [];
  let bytes = 0;
  for (const segment of segments) {
    const fits = bytes + segment.size <= segmentBytes && (group.length === 0 || segment.nextOffset - group[0]!.baseOffset <= MAX_OFFSETS_PER_SEGMENT);
    if (group.length > 0 && !fits) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(segment);
    bytes += segment.size;
  }
  if (group.length > 0) yield group;
}

/**
 * The records section of a batch, its CRC checked first: the batch itself when uncompressed,
 * else its records decompressed (at most `maxBytes`). Undefined when they would decompress
 * past `maxBytes`: the caller leaves such a batch as it is.
 */
function recordsSectionOf(batch: Buffer, maxBytes: number): RecordsSection | undefined {
  checkBatch(batch, true);
  try {
    return recordsOf(batch, maxBytes);
  } catch (err) {
    if (err instanceof SkeinError && err.code === 'SKEIN_MESSAGE_TOO_LARGE') return undefined;
    if (err instanceof SkeinError) {
      throw new SkeinError('SKEIN_CORRUPT_SEGMENT', `the records of a batch at offset ${readBaseOffset(batch, 0)} cannot be read for cleaning: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Walks the records of a batch's records section (recordsSectionOf) without decoding them:
 * for each, its offset, the byte range of its key (-1 for a null key), whether its value is
 * null, and its byte range, all in `section.bytes`. Cheaper than decoding, and all cleaning
 * needs.
 */
function walkRecords(
  batch: Buffer,
  section: RecordsSection,
  visit: (offset: number, keyStart: number, keyEnd: number, valueIsNull: boolean, recordStart: number, recordEnd: number) => void,
): void {
  const baseOffset = readBaseOffset(batch, 0);
  const count = readRecordsCount(batch, 0);
  const bytes = section.bytes;
  const end = section.end;
  const cursor = { pos: section.start };
  for (let i = 0; i < count; i++) {
    const recordStart = cursor.pos;
    const length = readVarint(bytes, cursor, end);
    const recordEnd = cursor.pos + length;
    if (length < 1 || recordEnd > end) throw new SkeinError('SKEIN_CORRUPT_SEGMENT', `a record of a batch at offset ${baseOffset} runs past the batch`);
    cursor.pos += 1; // attributes
    readVarlong(bytes, cursor, recordEnd); // timestampDelta
    const offsetDelta = readVarint(bytes, cursor, recordEnd);
    const keyLength = readVarint(bytes, cursor, recordEnd);
    const keyStart = keyLength >= 0 ? cursor.pos : -1;
    const keyEnd = keyLength >= 0 ? cursor.pos + keyLength : -1;
    if (keyEnd > recordEnd) throw new SkeinError('SKEIN_CORRUPT_SEGMENT', `a record key of a batch at offset ${baseOffset} runs past the record`);
    if (keyLength >= 0) cursor.pos = keyEnd;
    const valueLength = readVarint(bytes, cursor, recordEnd);
    visit(baseOffset + offsetDelta, keyStart, keyEnd, valueLength < 0, recordStart, recordEnd);
    cursor.pos = recordEnd;
  }
}

function isControl(batch: Buffer): boolean {
  return (readInt16BE(batch, ATTRIBUTES) & CONTROL_FLAG_MASK) !== 0;
}

/** The batch as it stays after cleaning: unchanged, rewritten with fewer records, empty, or gone. */
function filterBatch(
  batch: Buffer,
  map: OffsetMap,
  lastBatchOfProducer: Map<number, number>,
  plan: CleanPlan,
): { bytes: Buffer | undefined; records: number } {
  const count = readRecordsCount(batch, 0);
  if (isControl(batch)) return { bytes: batch, records: count };
  const section = recordsSectionOf(batch, plan.maxDecompressedBytes);
  if (section === undefined) return { bytes: batch, records: count };
  const bytes = section.bytes;
  const tombstonesExpired = readMaxTimestamp(batch, 0) + plan.deleteRetentionMs <= plan.nowMs;
  const ranges: Array<[number, number]> = [];
  let kept = 0;
  walkRecords(batch, section, (offset, keyStart, keyEnd, valueIsNull, recordStart, recordEnd) => {
    if (keyStart >= 0) {
      const latest = map.get(keyString(bytes, keyStart, keyEnd));
      if (latest !== undefined && offset < latest) return;
      if (valueIsNull && tombstonesExpired) return;
    }
    // Adjacent kept records make one range: fewer copies when most of a batch stays.
    kept += 1;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === recordStart) last[1] = recordEnd;
    else ranges.push([recordStart, recordEnd]);
  });
  if (kept === count) return { bytes: batch, records: count };
  if (kept === 0) {
    const pid = readProducerId(batch, 0);
    const lastOffset = readBaseOffset(batch, 0) + readLastOffsetDelta(batch, 0);
    if (pid < 0 || lastBatchOfProducer.get(pid) !== lastOffset) return { bytes: undefined, records: 0 };
  }
  return { bytes: rebuild(batch, bytes, ranges, kept), records: kept };
}

/** The batch's header with no records: its offsets, producer and sequence, and nothing else. */
function emptyBatchOf(batch: Buffer): Buffer {
  return rebuild(batch, batch, [], 0);
}

/**
 * A copy of `batch` holding only the records at `ranges` (byte ranges in `source`, the batch
 * or its decompressed records), CRC redone. A compressed batch's kept records are compressed
 * again with its codec; an empty batch is written uncompressed (Kafka's empty header).
 */
function rebuild(batch: Buffer, source: Buffer, ranges: Array<[number, number]>, records: number): Buffer {
  const attributes = readInt16BE(batch, ATTRIBUTES);
  const codec = records === 0 ? 0 : attributes & COMPRESSION_CODEC_MASK;
  // Uncompressed: the kept ranges go straight into the new batch (one copy).
  const compressed = codec === 0 ? undefined : compress(codec, Buffer.concat(ranges.map(([a, b]) => source.subarray(a, b))));
  let size = HEADER_SIZE;
  if (compressed) size += compressed.length;
  else for (const [a, b] of ranges) size += b - a;
  const out = Buffer.allocUnsafe(size);
  batch.copy(out, 0, 0, HEADER_SIZE);
  if (compressed) compressed.copy(out, HEADER_SIZE);
  else {
    let at = HEADER_SIZE;
    for (const [a, b] of ranges) at += source.copy(out, at, a, b);
  }
  out.writeInt16BE((attributes & ~COMPRESSION_CODEC_MASK) | codec, ATTRIBUTES);
  writeInt32BE(out, BATCH_LENGTH, size - LOG_OVERHEAD);
  writeInt32BE(out, RECORDS_COUNT, records);
  const crc = native.crc32c(new Uint8Array(out.buffer, out.byteOffset + CRC_START, size - CRC_START)) >>> 0;
  out.writeUInt32BE(crc, CRC);
  return out;
}

/** Whole batches of a segment file's first `size` bytes, read a chunk at a time. */
function* batchesOfFile(segment: CleanSegmentInfo): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(segment.path, 'r');
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot read segment ${segment.path} for cleaning`);
  }
  try {
    let position = 0;
    let carry: Buffer = Buffer.alloc(0);
    while (position < segment.size || carry.length > 0) {
      const want = Math.min(READ_CHUNK_BYTES, segment.size - position);
      let chunk = carry;
      if (want > 0) {
        const fresh = Buffer.allocUnsafe(want);
        const n = readSync(fd, fresh, 0, want, position);
        if (n <= 0) throw new SkeinError('SKEIN_CORRUPT_SEGMENT', `segment ${segment.path} ends before its ${segment.size} bytes`, { path: segment.path });
        position += n;
        chunk = carry.length > 0 ? Buffer.concat([carry, fresh.subarray(0, n)]) : fresh.subarray(0, n);
      }
      let at = 0;
      while (at + LOG_OVERHEAD <= chunk.length) {
        const size = LOG_OVERHEAD + readBatchLength(chunk, at);
        if (size < HEADER_SIZE) throw new SkeinError('SKEIN_CORRUPT_SEGMENT', `segment ${segment.path} has a batch of impossible length`, { path: segment.path });
        if (at + size > chunk.length) break;
        yield chunk.subarray(at, at + size);
        at += size;
      }
      carry = chunk.subarray(at);
      if (want <= 0 && carry.length > 0) {
        throw new SkeinError('SKEIN_CORRUPT_SEGMENT', `segment ${segment.path} ends inside a batch`, { path: segment.path });
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Buffered writes to a new file, synced on finish. */
class FileWriter {
  private readonly fd: number;
  private readonly path: string;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  bytes = 0;

  constructor(path: string) {
    this.path = path;
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot create ${path}`);
    }
  }

  write(buf: Buffer): void {
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.bytes += buf.length;
    if (this.pendingBytes >= WRITE_CHUNK_BYTES) this.drain();
  }

  private drain(): void {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let at = 0;
    try {
      while (at < data.length) at += writeSync(this.fd, data, at, data.length - at);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot write ${this.path}`);
    }
    this.pending = [];
    this.pendingBytes = 0;
  }

  finish(): void {
    this.drain();
    try {
      fsyncSync(this.fd);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot sync ${this.path}`);
    } finally {
      closeSync(this.fd);
    }
  }

  /** After a failure: close and remove the partial file (an open would remove it anyway). */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed by a failed finish.
    }
    try {
      unlinkSync(this.path);
    } catch {
      // Left for the next open, which removes .cleaned files.
    }
  }
}
