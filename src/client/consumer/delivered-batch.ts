/**
 * What one eachBatch call gets: a kafkajs-shaped Batch over a run of record batches of one
 * partition, whose `messages` array is built on first read, and, Skein's own, `records()`: a
 * cursor that walks the same records allocating nothing per record (offsets, timestamps and
 * positions of key and value in the bytes, read in place).
 *
 * Why: on the embedded consume path every message object and every Buffer view of a value is
 * an allocation (a view costs 50-80 ns here, more than decoding the record), and a handler that
 * reads records in place should not pay for objects it never reads. A handler that reads
 * `batch.messages` gets exactly the messages it got before (lazy fields, consumed-message.ts).
 *
 * The bytes are views of the log (verified at append or recovery: no CRC pass here) or a
 * compressed batch's decompressed records. Event-loop thread; knows nothing of groups or fetches.
 */
import { SkeinError } from '../../errors.js';
import { ATTRIBUTES, COMPRESSION_CODEC_MASK, CURRENT_MAGIC, MAGIC, readBaseOffset, readInt16BE, readInt32BE, readLastOffsetDelta, RECORDS_COUNT } from '../../records/batch-header.js';
import { RecordCursor, type RecordBytes } from '../../records/record-cursor.js';
import { recordsOf } from '../../records/decode-record-batch.js';
import { BatchMessages, type ConsumedMessage } from './consumed-message.js';
import type { Batch, BatchRecords } from './types.js';

/** One record batch of the run, and where delivery starts in it. */
export interface BatchEntry {
  batch: Buffer;
  /** Records below this offset were delivered before (the first batch of a fetch may start mid-batch). */
  fromOffset: number;
  /** A compressed batch's records, decompressed (on the pool or here); undefined: uncompressed. */
  section: RecordBytes | undefined;
}

/**
 * An entry for `batch` (a v2 batch from the local log); a compressed batch without its
 * decompressed records (`section`, from the pool) is decompressed here.
 */
export function batchEntry(batch: Buffer, fromOffset: number, section?: RecordBytes): BatchEntry {
  if (batch[MAGIC] !== CURRENT_MAGIC) {
    throw new SkeinError('SKEIN_UNSUPPORTED_MESSAGE_FORMAT', `a batch with magic ${batch[MAGIC]} reached the consumer`);
  }
  if (section === undefined && (readInt16BE(batch, ATTRIBUTES) & COMPRESSION_CODEC_MASK) !== 0) section = recordsOf(batch);
  return { batch, fromOffset, section };
}

/** Records of `entry` at or after its fromOffset (walks only a batch that starts before it). */
export function deliverableRecords(entry: BatchEntry): number {
  const { batch, fromOffset } = entry;
  if (readBaseOffset(batch, 0) >= fromOffset) return entry.section ? entry.section.count : readInt32BE(batch, RECORDS_COUNT);
  const cursor = new RecordCursor(batch, entry.section);
  let n = 0;
  while (cursor.next()) if (cursor.offset >= fromOffset) n += 1;
  return n;
}

/**
 * Offset of the last record of `entry` (read from the header unless the log cleaner removed
 * records from the batch: then walked). -1 for a batch with none.
 */
export function lastRecordOffset(entry: BatchEntry): number {
  const { batch, section } = entry;
  const lastOffsetDelta = readLastOffsetDelta(batch, 0);
  const count = section ? section.count : readInt32BE(batch, RECORDS_COUNT);
  if (count === lastOffsetDelta + 1) return readBaseOffset(batch, 0) + lastOffsetDelta;
  const cursor = new RecordCursor(batch, section);
  let last = -1;
  while (cursor.next()) last = cursor.offset;
  return last;
}

export class DeliveredBatch implements Batch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  /** Records handed out (at or after each entry's fromOffset). */
  readonly count: number;
  private readonly entries: readonly BatchEntry[];
  private readonly high: number;
  private built: ConsumedMessage[] | undefined;

  constructor(topic: string, partition: number, highWatermark: number, entries: readonly BatchEntry[], count: number) {
    this.topic = topic;
    this.partition = partition;
    this.high = highWatermark;
    this.highWatermark = String(highWatermark);
    this.entries = entries;
    this.count = count;
  }

  /** kafkajs's messages, made on first read (then the same array every time). */
  get messages(): ConsumedMessage[] {
    if (this.built === undefined) {
      // Sized once (count is exact): pushing grew and copied the array a dozen times per batch.
      const out: ConsumedMessage[] = new Array<ConsumedMessage>(this.count);
      let n = 0;
      for (const entry of this.entries) {
        const messages = new BatchMessages(entry.batch, entry.fromOffset, entry.section);
        for (let m = messages.next(); m !== undefined; m = messages.next()) out[n++] = m;
      }
      if (n !== out.length) out.length = n;
      this.built = out;
    }
    return this.built;
  }

  /**
   * Drops the messages made for the handler (delivery calls it when the handler is done); read
   * again, they are made again. Keeps a batch a handler held on to from keeping them all alive.
   */
  releaseMessages(): void {
    this.built = undefined;
  }

  /** The records in place, with nothing allocated per record; a new cursor from the first record each call. */
  records(): BatchRecords {
    return new RecordViews(this.entries);
  }

  /** Offset of the first record handed out. */
  firstOffsetNumber(): number {
    const cursor = this.records();
    return cursor.next() ? cursor.offset : -1;
  }

  isEmpty(): boolean {
    return this.count === 0;
  }

  firstOffset(): string | null {
    return this.count > 0 ? String(this.firstOffsetNumber()) : null;
  }

  /**
   * Offset of the last record handed out, from the last batch's header (walked only if the
   * log cleaner removed records from it): the messages are not built for it.
   */
  lastOffsetNumber(): number {
    const last = this.entries[this.entries.length - 1];
    return this.count > 0 && last !== undefined ? lastRecordOffset(last) : -1;
  }

  lastOffset(): string {
    return this.count > 0 ? String(this.lastOffsetNumber()) : String(this.high - 1);
  }

  offsetLag(): string {
    return String(Math.max(0, this.high - 1 - (this.count > 0 ? this.lastOffsetNumber() : this.high - 1)));
  }

  offsetLagLow(): string {
    return String(Math.max(0, this.high - 1 - (this.count > 0 ? this.firstOffsetNumber() : this.high - 1)));
  }
}

/**
 * BatchRecords over the entries of a DeliveredBatch: one RecordCursor moved from record batch
 * to record batch (reset), so the handler reads the cursor's own fields, nothing copied.
 */
class RecordViews extends RecordCursor implements BatchRecords {
  private readonly entries: readonly BatchEntry[];
  private entryIndex = 0;
  private fromOffset = 0;

  constructor(entries: readonly BatchEntry[]) {
    super();
    this.entries = entries;
    const first = entries[0];
    if (first !== undefined) {
      this.reset(first.batch, first.section);
      this.fromOffset = first.fromOffset;
    }
  }

  override next(): boolean {
    for (;;) {
      while (super.next()) if (this.offset >= this.fromOffset) return true;
      const entry = this.entries[++this.entryIndex];
      if (entry === undefined) {
        this.entryIndex = this.entries.length;
        return false;
      }
      this.reset(entry.batch, entry.section);
      this.fromOffset = entry.fromOffset;
    }
  }
}
