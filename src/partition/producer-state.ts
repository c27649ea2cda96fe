/**
 * Idempotent producers, per partition (Kafka's ProducerStateManager, in memory): for each
 * producer id the epoch and the last five batches written, so a retried batch is answered with
 * its original offsets instead of being written twice, and a gap in sequence numbers is refused.
 *
 * Rules (KAFKA-PROTOCOL.md §5): an older epoch is fenced; a new epoch starts at sequence 0;
 * within an epoch a batch must start right after the last one (sequences wrap at 2^31-1 to 0);
 * an exact repeat of one of the last five batches is a duplicate; a producer id with no state
 * (never seen, or its state was not rebuilt) may start at any sequence.
 *
 * Rebuilt at start from the batch headers of the partition's most recent records (at most the
 * last REBUILD_RECORDS of its active segment): a producer retries only the few batches it has
 * in flight, within seconds, so older history cannot matter, and a start-up must not read (and
 * CRC-check) a whole 1 GiB segment per partition to rebuild it.
 */
import { SkeinError } from '../errors.js';

const KEPT_BATCHES = 5;
/** How far back, in records, start-up looks for producer state (see the header). */
export const REBUILD_RECORDS = 10_000;
const MAX_SEQUENCE = 2 ** 31 - 1;

interface WrittenBatch {
  firstSequence: number;
  lastSequence: number;
  baseOffset: number;
  lastOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: WrittenBatch[];
}

export interface ProducerBatchHeader {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Records in the batch minus one. */
  lastOffsetDelta: number;
}

export type SequenceCheck = { duplicate: false } | { duplicate: true; baseOffset: number; lastOffset: number };

function lastSequenceOf(header: ProducerBatchHeader): number {
  return (header.baseSequence + header.lastOffsetDelta) % (MAX_SEQUENCE + 1);
}

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  /** Checks a batch before it is appended: a duplicate, fine to append, or a coded error. */
  check(header: ProducerBatchHeader): SequenceCheck {
    if (header.producerId < 0) return { duplicate: false };
    const entry = this.producers.get(header.producerId);
    if (!entry) return { duplicate: false };
    if (header.producerEpoch < entry.epoch) {
      throw new SkeinError('SKEIN_INVALID_PRODUCER_EPOCH', `producer ${header.producerId} epoch ${header.producerEpoch} is older than ${entry.epoch}`, {
        producerId: header.producerId,
      });
    }
    if (header.producerEpoch > entry.epoch) {
      if (header.baseSequence !== 0) {
        throw new SkeinError('SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER', `a new epoch of producer ${header.producerId} must start at sequence 0, got ${header.baseSequence}`, {
          producerId: header.producerId,
        });
      }
      return { duplicate: false };
    }
    const last = lastSequenceOf(header);
    for (const batch of entry.batches) {
      if (batch.firstSequence === header.baseSequence && batch.lastSequence === last) {
        return { duplicate: true, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset };
      }
    }
    const previous = entry.batches[entry.batches.length - 1];
    const expected = previous ? (previous.lastSequence + 1) % (MAX_SEQUENCE + 1) : header.baseSequence;
    if (header.baseSequence !== expected) {
      throw new SkeinError(
        'SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER',
        `producer ${header.producerId} sent sequence ${header.baseSequence}, expected ${expected}`,
        { producerId: header.producerId, expected, received: header.baseSequence },
      );
    }
    return { duplicate: false };
  }

  /** Notes a batch that was appended at [baseOffset, lastOffset]. */
  record(header: ProducerBatchHeader, baseOffset: number, lastOffset: number): void {
    if (header.producerId < 0) return;
    let entry = this.producers.get(header.producerId);
    if (!entry || header.producerEpoch > entry.epoch) {
      entry = { epoch: header.producerEpoch, batches: [] };
      this.producers.set(header.producerId, entry);
    }
    entry.batches.push({ firstSequence: header.baseSequence, lastSequence: lastSequenceOf(header), baseOffset, lastOffset });
    if (entry.batches.length > KEPT_BATCHES) entry.batches.shift();
  }
}
