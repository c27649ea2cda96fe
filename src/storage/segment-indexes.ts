/**
 * The indexes of one segment and the running state that decides their entries: the sparse
 * offset and time indexes, the largest timestamp so far (and the offset that carries it), and
 * the bytes written since the last entry (Kafka's LogSegment.append rule).
 *
 * One per Segment, for its whole life. Built by appends (noteBatch), by a load from the walk
 * of a scan (applyWalk) or from the persisted files when they pass their checks
 * (readPersisted), cut back by a truncation (cutBelow); written with temp file + rename when
 * the segment seals or closes. Derived data: whatever is in doubt is rebuilt from the log.
 * Runs on the event loop. Knows nothing of mappings, reads or the log above the segment.
 */
import { readFileSync } from 'node:fs';
import type { NativeMappedFile } from '../native/binding.js';
import { HEADER_SIZE, LOG_OVERHEAD, readBaseOffset, readBatchLength, readLastOffsetDelta, readMaxTimestamp } from '../records/batch-header.js';
import { indexFile, timeIndexFile } from './file-names.js';
import type { LogConfig } from './log-config.js';
import { OffsetIndex } from './offset-index.js';
import type { SegmentScanResult } from './segment-recovery.js';
import { writeAtomically } from './segment-files.js';
import { TimeIndex } from './time-index.js';

export class SegmentIndexes {
  readonly offsets: OffsetIndex;
  readonly times: TimeIndex;
  /** Largest record timestamp in the segment (-1 when empty or unknown). */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  bytesSinceIndexEntry = 0;
  /** The indexes in memory differ from the files (or the files were never checked). */
  dirty = false;
  private readonly baseOffset: number;
  /** The log's settings, shared and updated in place (index.interval.bytes may change). */
  private readonly config: LogConfig;

  constructor(baseOffset: number, config: LogConfig) {
    this.baseOffset = baseOffset;
    this.config = config;
    this.offsets = new OffsetIndex(baseOffset);
    this.times = new TimeIndex(baseOffset);
  }

  /** Index bookkeeping for one batch written at `position` (Kafka's LogSegment.append rule). */
  noteBatch(position: number, batchSize: number, lastOffset: number, maxTimestamp: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceIndexEntry > this.config.indexIntervalBytes) {
      this.offsets.append(lastOffset, position);
      this.times.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += batchSize;
  }

  /** Takes the entries and running state a load's walk produced (segment-recovery.ts). */
  applyWalk(walked: SegmentScanResult): void {
    const { offsetEntries, timeEntries } = walked;
    for (let i = 0; i < offsetEntries.length; i += 2) this.offsets.append(offsetEntries[i]!, offsetEntries[i + 1]!);
    for (let i = 0; i < timeEntries.length; i += 2) this.times.maybeAppend(timeEntries[i]!, timeEntries[i + 1]!);
    this.maxTimestamp = walked.maxTimestamp;
    this.offsetOfMaxTimestamp = walked.offsetOfMaxTimestamp;
    this.bytesSinceIndexEntry = walked.bytesSinceIndexEntry;
  }

  /** Finishes the time index as a sealed segment has it: an entry for the largest timestamp. */
  addFinalTimeEntry(): void {
    if (this.maxTimestamp >= 0) this.times.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
  }

  /** The offset of the last time index entry, or -1. */
  lastTimeIndexOffset(): number {
    const last = this.times.lookupBefore(Infinity);
    return last ? last.offset : -1;
  }

  /** Back to empty (a load that found the persisted indexes wrong rebuilds from scratch). */
  reset(): void {
    this.offsets.truncateToPosition(0);
    this.times.truncateToOffset(this.baseOffset);
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.bytesSinceIndexEntry = 0;
  }

  /**
   * Keeps the entries below a cut at `position` (the batch there starts at `cutBase`) and
   * takes the largest timestamp from the last time entry kept; the caller walks the batches
   * after the last offset entry again (noteBatch) to restore the rest.
   */
  cutBelow(position: number, cutBase: number): void {
    this.offsets.truncateToPosition(position);
    this.times.truncateToOffset(cutBase);
    const lastTime = this.times.lookupBefore(Infinity);
    this.maxTimestamp = lastTime ? lastTime.timestamp : -1;
    this.offsetOfMaxTimestamp = lastTime ? lastTime.offset : -1;
    this.bytesSinceIndexEntry = 0;
    this.dirty = true;
  }

  /** Writes `.index` and `.timeindex` with write-to-temp and rename, when they changed. */
  write(dir: string): void {
    if (!this.dirty) return;
    writeAtomically(indexFile(dir, this.baseOffset), this.offsets.serialize());
    writeAtomically(timeIndexFile(dir, this.baseOffset), this.times.serialize());
    this.dirty = false;
  }

  /** Loads `.index` and `.timeindex` if they pass their checks; false means rebuild. */
  readPersisted(dir: string, file: NativeMappedFile, fileSize: number): boolean {
    let offsetBytes: Buffer;
    let timeBytes: Buffer;
    try {
      offsetBytes = readFileSync(indexFile(dir, this.baseOffset));
      timeBytes = readFileSync(timeIndexFile(dir, this.baseOffset));
    } catch {
      return false;
    }
    const offsets = OffsetIndex.parse(offsetBytes, this.baseOffset, fileSize);
    const times = TimeIndex.parse(timeBytes, this.baseOffset, Number.MAX_SAFE_INTEGER);
    if (!offsets || !times) return false;
    if (offsets.entries > 0) {
      // The last entry must point at a batch header that ends at the entry's offset.
      const position = offsets.lastPosition;
      if (position + HEADER_SIZE > fileSize) return false;
      file.map(fileSize);
      const header = file.readCopy(position, HEADER_SIZE);
      file.unmap();
      if (readBaseOffset(header, 0) + readLastOffsetDelta(header, 0) !== offsets.lastOffset) return false;
    }
    // Every time index entry names the batch ending at its offset and that batch's
    // maxTimestamp, and a sealed segment with data always has one. A time index from another
    // segment (swapped, restored from elsewhere) or emptied passes its own checks, and then
    // offsetForTimestamp started its walk past the records it had to find, and retention read a
    // wrong segment age: so the last entry must match a real batch, or the indexes are rebuilt.
    const lastTime = times.lookupBefore(Infinity);
    if (lastTime ? !batchEndsAt(file, fileSize, offsets, lastTime.offset, lastTime.timestamp) : fileSize > 0) return false;
    for (const { offset, position } of offsets.allEntries()) this.offsets.append(offset, position);
    for (const { timestamp, offset } of times.allEntries()) this.times.maybeAppend(timestamp, offset);
    const last = times.lookupBefore(Infinity);
    if (last) {
      this.maxTimestamp = last.timestamp;
      this.offsetOfMaxTimestamp = last.offset;
    }
    return true;
  }
}

/**
 * Whether the batch that ends at `lastOffset`, found from the offset index and a short walk
 * of headers (read with pread, no mapping), has `maxTimestamp`.
 */
function batchEndsAt(file: NativeMappedFile, fileSize: number, offsets: OffsetIndex, lastOffset: number, maxTimestamp: number): boolean {
  let position = offsets.lookup(lastOffset).position;
  while (position + HEADER_SIZE <= fileSize) {
    const header = file.readCopy(position, HEADER_SIZE);
    const length = readBatchLength(header, 0);
    if (length < HEADER_SIZE - LOG_OVERHEAD) return false;
    const last = readBaseOffset(header, 0) + readLastOffsetDelta(header, 0);
    if (last >= lastOffset) return last === lastOffset && readMaxTimestamp(header, 0) === maxTimestamp;
    position += LOG_OVERHEAD + length;
  }
  return false;
}
