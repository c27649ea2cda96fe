/**
 * The idempotence headers of the batches of one produce request, and the check of a whole
 * request against a partition's ProducerStateTable (every batch must continue the previous one;
 * a request is a duplicate only when all its batches are).
 */
import { SkeinError } from '../errors.js';
import {
  LOG_OVERHEAD,
  readBaseSequence,
  readBatchLength,
  readLastOffsetDelta,
  readProducerEpoch,
  readProducerId,
} from '../records/batch-header.js';
import type { ProducerBatchHeader, ProducerStateTable } from './producer-state.js';

export function producerHeaderOf(buf: Uint8Array, at: number): ProducerBatchHeader {
  return {
    producerId: readProducerId(buf, at),
    producerEpoch: readProducerEpoch(buf, at),
    baseSequence: readBaseSequence(buf, at),
    lastOffsetDelta: readLastOffsetDelta(buf, at),
  };
}

/** The idempotence headers of each batch of a produce buffer, or [] when it is not idempotent. */
export function producerHeaders(records: Uint8Array): ProducerBatchHeader[] {
  if (records.length < 61 || readProducerId(records, 0) < 0) return [];
  const headers: ProducerBatchHeader[] = [];
  for (let at = 0; at + 61 <= records.length; ) {
    headers.push(producerHeaderOf(records, at));
    at += LOG_OVERHEAD + readBatchLength(records, at);
  }
  return headers;
}

/**
 * Checks every batch of one produce request; returns the original offsets when the whole
 * request repeats batches already written, throws when sequences do not follow.
 */
export function checkSequences(table: ProducerStateTable, headers: ProducerBatchHeader[]): { baseOffset: number; lastOffset: number } | undefined {
  const first = table.check(headers[0]!);
  for (let i = 1; i < headers.length; i++) {
    const previous = headers[i - 1]!;
    const header = headers[i]!;
    if (header.producerId !== previous.producerId || header.baseSequence !== previous.baseSequence + previous.lastOffsetDelta + 1) {
      throw new SkeinError('SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER', 'the batches of one produce request do not continue each other', {
        producerId: header.producerId,
      });
    }
  }
  if (!first.duplicate) return undefined;
  if (headers.length > 1) {
    const last = table.check(headers[headers.length - 1]!);
    if (!last.duplicate) throw new SkeinError('SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER', 'a produce request repeats some batches but not all');
    return { baseOffset: first.baseOffset, lastOffset: last.lastOffset };
  }
  return { baseOffset: first.baseOffset, lastOffset: first.lastOffset };
}
