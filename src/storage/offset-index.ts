/**
 * Sparse offset index of one segment: which file position holds the batch ending at which offset.
 *
 * Derived data, as in Kafka (OffsetIndex.java): it has no checksum because it is rebuilt
 * from the log whenever it is missing or fails the checks in `parse`. It lives in memory
 * while the segment is open and is written to `<base>.index` when the segment rolls or the
 * log closes. An entry is added after every `indexIntervalBytes` of batches, so a lookup
 * leaves at most that many bytes of batch headers to walk.
 *
 * File layout (big-endian, 8 bytes per entry, the same as Kafka's):
 *   | 0..3 relativeOffset int32 = lastOffset of a batch - baseOffset | 4..7 position int32 |
 * Entries are strictly increasing in both fields.
 */
export interface OffsetPosition {
  /** Last offset of the batch found at `position` (baseOffset - 1 when it is the segment start). */
  offset: number;
  position: number;
}

const ENTRY_BYTES = 8;

export class OffsetIndex {
  readonly baseOffset: number;
  private relativeOffsets = new Uint32Array(64);
  private positions = new Uint32Array(64);
  private count = 0;

  constructor(baseOffset: number) {
    this.baseOffset = baseOffset;
  }

  get entries(): number {
    return this.count;
  }

  get lastPosition(): number {
    return this.count === 0 ? 0 : this.positions[this.count - 1]!;
  }

  get lastOffset(): number {
    return this.count === 0 ? this.baseOffset - 1 : this.baseOffset + this.relativeOffsets[this.count - 1]!;
  }

  /** Records that the batch at `position` ends at `lastOffset`. Out-of-order entries are ignored. */
  append(lastOffset: number, position: number): void {
    const relative = lastOffset - this.baseOffset;
    if (this.count > 0 && (relative <= this.relativeOffsets[this.count - 1]! || position <= this.positions[this.count - 1]!)) return;
    if (this.count === this.positions.length) {
      this.relativeOffsets = grow(this.relativeOffsets);
      this.positions = grow(this.positions);
    }
    this.relativeOffsets[this.count] = relative;
    this.positions[this.count] = position;
    this.count += 1;
  }

  /**
   * The entry with the largest offset <= target, i.e. the position from which a forward walk of
   * batch headers finds the batch containing `target`. The segment start when none is smaller.
   */
  lookup(target: number): OffsetPosition {
    const relative = target - this.baseOffset;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffsets[mid]! <= relative) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return { offset: this.baseOffset - 1, position: 0 };
    return { offset: this.baseOffset + this.relativeOffsets[found]!, position: this.positions[found]! };
  }

  *allEntries(): IterableIterator<OffsetPosition> {
    for (let i = 0; i < this.count; i++) {
      yield { offset: this.baseOffset + this.relativeOffsets[i]!, position: this.positions[i]! };
    }
  }

  /** Drops every entry at or past `position` (the log was cut there). */
  truncateToPosition(position: number): void {
    while (this.count > 0 && this.positions[this.count - 1]! >= position) this.count -= 1;
  }

  serialize(): Buffer {
    const out = Buffer.allocUnsafe(this.count * ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      out.writeUInt32BE(this.relativeOffsets[i]!, i * ENTRY_BYTES);
      out.writeUInt32BE(this.positions[i]!, i * ENTRY_BYTES + 4);
    }
    return out;
  }

  /**
   * Reads an index file, or returns undefined when it cannot be trusted: a size that is not a
   * whole number of entries, entries out of order, or a position at or past `segmentSize`.
   * (The caller also checks that the last entry points at a batch that really ends there.)
   */
  static parse(bytes: Buffer, baseOffset: number, segmentSize: number): OffsetIndex | undefined {
    if (bytes.length % ENTRY_BYTES !== 0) return undefined;
    const index = new OffsetIndex(baseOffset);
    for (let at = 0; at < bytes.length; at += ENTRY_BYTES) {
      const relative = bytes.readUInt32BE(at);
      const position = bytes.readUInt32BE(at + 4);
      const before = index.count;
      if (position >= segmentSize) return undefined;
      index.append(baseOffset + relative, position);
      if (index.count === before) return undefined;
    }
    return index;
  }
}

function grow(array: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
