/**
 * The idempotence headers of the batches of one produce request (from the pipeline's batch
 * summaries, or one header for the start-up rebuild), and the check of a whole
 * request against a partition's ProducerStateTable (every batch must continue the previous one;
 * a request is a duplicate only when all its batches are).
 */
import { SkeinError } from '../errors.js';
import { readBaseSequence, readLastOffsetDelta, readProducerEpoch, readProducerId } from '../records/batch-header.js';
import { S, SUMMARY_FIELDS, type BatchSummaries } from '../records/batch-summary.js';
import type { ProducerBatchHeader, ProducerStateTable } from './producer-state.js';

export function producerHeaderOf(buf: Uint8Array, at: number): ProducerBatchHeader {
  return {
    producerId: readProducerId(buf, at),
    producerEpoch: readProducerEpoch(buf, at),
    baseSequence: readBaseSequence(buf, at),
    lastOffsetDelta: readLastOffsetDelta(buf, at),
  };
}

/** The idempotence headers of each summarised batch, or [] when the request is not idempotent. */
export function producerHeaders(summaries: BatchSummaries): ProducerBatchHeader[] {
  if (!summaries.idempotent) return [];
  const headers: ProducerBatchHeader[] = [];
  const fields = summaries.fields;
  for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
    headers.push({
      producerId: fields[f + S.PRODUCER_ID]!,
      producerEpoch: fields[f + S.PRODUCER_EPOCH]!,
      baseSequence: fields[f + S.BASE_SEQUENCE]!,
      lastOffsetDelta: fields[f + S.LAST_OFFSET_DELTA]!,
    });
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
