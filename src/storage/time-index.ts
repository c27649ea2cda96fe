/**
 * Sparse time index of one segment: the largest timestamp seen so far and the offset of the
 * batch where it was seen. Used to find the first offset at or after a timestamp
 * (ListOffsets by time) and to judge a segment's age for retention.
 *
 * Derived data like the offset index (rebuilt when missing or damaged), kept in memory and
 * written to `<base>.timeindex` at roll and close. An entry is added only when a batch raises
 * the segment's maximum timestamp, so timestamps in the index are strictly increasing
 * (Kafka's TimeIndex rule; records may carry out-of-order timestamps).
 *
 * File layout (big-endian, 12 bytes per entry, the same as Kafka's):
 *   | 0..7 timestamp int64 (ms) | 8..11 relativeOffset int32 = lastOffset of that batch - baseOffset |
 */
export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

const ENTRY_BYTES = 12;

export class TimeIndex {
  readonly baseOffset: number;
  private timestamps = new Float64Array(16);
  private relativeOffsets = new Uint32Array(16);
  private count = 0;

  constructor(baseOffset: number) {
    this.baseOffset = baseOffset;
  }

  get entries(): number {
    return this.count;
  }

  /** The segment's largest timestamp, or -1 when it has no entry. */
  get maxTimestamp(): number {
    return this.count === 0 ? -1 : this.timestamps[this.count - 1]!;
  }

  /** Notes a batch whose largest timestamp is `timestamp` and whose last offset is `lastOffset`. */
  maybeAppend(timestamp: number, lastOffset: number): void {
    if (this.count > 0 && timestamp <= this.timestamps[this.count - 1]!) return;
    const relative = lastOffset - this.baseOffset;
    if (this.count > 0 && relative <= this.relativeOffsets[this.count - 1]!) return;
    if (this.count === this.timestamps.length) {
      const t = new Float64Array(this.count * 2);
      t.set(this.timestamps);
      this.timestamps = t;
      const o = new Uint32Array(this.count * 2);
      o.set(this.relativeOffsets);
      this.relativeOffsets = o;
    }
    this.timestamps[this.count] = timestamp;
    this.relativeOffsets[this.count] = relative;
    this.count += 1;
  }

  /**
   * The entry with the largest timestamp strictly below `target`: every record with a
   * timestamp >= target lies in a batch after that entry's offset. Undefined when the
   * segment's first entries are already >= target (search from the segment start).
   */
  lookupBefore(target: number): TimestampOffset | undefined {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return undefined;
    return { timestamp: this.timestamps[found]!, offset: this.baseOffset + this.relativeOffsets[found]! };
  }

  *allEntries(): IterableIterator<TimestampOffset> {
    for (let i = 0; i < this.count; i++) {
      yield { timestamp: this.timestamps[i]!, offset: this.baseOffset + this.relativeOffsets[i]! };
    }
  }

  /** Drops entries whose offset is at or past `offset` (the log was cut there). */
  truncateToOffset(offset: number): void {
    const relative = offset - this.baseOffset;
    while (this.count > 0 && this.relativeOffsets[this.count - 1]! >= relative) this.count -= 1;
  }

  serialize(): Buffer {
    const out = Buffer.allocUnsafe(this.count * ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      out.writeBigInt64BE(BigInt(this.timestamps[i]!), i * ENTRY_BYTES);
      out.writeUInt32BE(this.relativeOffsets[i]!, i * ENTRY_BYTES + 8);
    }
    return out;
  }

  /** Reads a time index file, or undefined when it is not a clean increasing sequence below `nextOffset`. */
  static parse(bytes: Buffer, baseOffset: number, nextOffset: number): TimeIndex | undefined {
    if (bytes.length % ENTRY_BYTES !== 0) return undefined;
    const index = new TimeIndex(baseOffset);
    for (let at = 0; at < bytes.length; at += ENTRY_BYTES) {
      const timestamp = Number(bytes.readBigInt64BE(at));
      const relative = bytes.readUInt32BE(at + 8);
      if (baseOffset + relative >= nextOffset) return undefined;
      const before = index.count;
      index.maybeAppend(timestamp, baseOffset + relative);
      if (index.count === before) return undefined;
    }
    return index;
  }
}
