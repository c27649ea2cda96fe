/**
 * Produce (key 0, v0–9): each partition's record batches go to `broker.produce` as the view
 * of the request bytes the decoder returned (the log copies them into its segment), with the
 * request's acks. Each partition fails or succeeds on its own; its error code comes from the
 * SkeinError table, and v8+ also carries the message.
 *
 * Order: every append is started synchronously while handling, before any await, so the
 * batches of pipelined requests on one connection reach the log in arrival order (an
 * idempotent producer with several requests in flight depends on that; Kafka gets it by
 * muting the connection). Hence no topic auto-creation here: as in Kafka, an unknown topic
 * is UNKNOWN_TOPIC_OR_PARTITION and clients create it through Metadata.
 *
 * acks=-1 in a cluster waits (up to the request's timeoutMs) for the high watermark to pass
 * the batch; see Broker.produce.
 *
 * acks=0: no response at all. If an append fails, the connection is closed instead, as
 * Kafka does, because that is the only way such a producer learns of it.
 *
 * v3 is the first version with RecordBatch v2 only (librdkafka 2.0.2 needs 3 in range to use
 * it); v9 is flexible (platformatic). transactionalId is refused: no transactions yet.
 * v0–2 carry the legacy message sets (magic 0/1): each partition's set is converted to one
 * RecordBatch v2 before the append (legacy-records.ts); a set that fails to convert is that
 * partition's error and nothing of it is stored.
 */
import { SkeinError } from '../../errors.js';
import type { Acks, ProduceResult } from '../../broker/types.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeProduceRequest,
  encodeProduceResponse,
  type PartitionProduceResponse,
  type ProduceRequest,
  type ProduceResponse,
} from '../messages/produce.js';
import { legacyToBatch } from './legacy-records.js';
import { NO_RESPONSE, defineHandler, errorMessageOf, type NoResponse, type RequestContext } from './handler.js';

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: 0,
  name: 'Produce',
  minVersion: 0,
  maxVersion: 9,
  decode: decodeProduceRequest,
  encode: encodeProduceResponse,
  handle(request, ctx) {
    const refusal =
      (request.transactionalId ?? null) !== null
        ? new SkeinError('SKEIN_INVALID_REQUEST', 'transactional producers are not supported', { transactionalId: request.transactionalId })
        : undefined;
    const topics = request.topicData.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionData.map((p) => (refusal ? failed(p.index, refusal, ctx) : append(ctx, topic.name, p.index, p.records, request.acks, request.timeoutMs))),
    }));
    const all = Promise.all(topics.map(async (t) => ({ name: t.name, partitionResponses: await Promise.all(t.partitions) })));
    if (request.acks === 0) return all.then((responses) => closeOnError(ctx, responses));
    return all.then((responses) => ({ responses, throttleTimeMs: 0 }));
  },
  errorResponse(request, errorCode, ctx, error) {
    return {
      responses: request.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => failedWith(p.index, errorCode, ctx, error)) })),
      throttleTimeMs: 0,
    };
  },
});

function append(ctx: RequestContext, topic: string, partition: number, records: Buffer | readonly Buffer[] | null, acks: number, timeoutMs: number): Promise<PartitionProduceResponse> {
  if (records === null || (Buffer.isBuffer(records) ? records.length : records.length) === 0) {
    return Promise.resolve(failed(partition, new SkeinError('SKEIN_INVALID_RECORD', 'a produce request without records', { topic, partition }), ctx));
  }
  let bytes = Buffer.isBuffer(records) ? records : Buffer.concat(records as Buffer[]);
  if (ctx.apiVersion < 3) {
    try {
      bytes = legacyToBatch(bytes, () => maxMessageBytes(ctx, topic));
    } catch (error) {
      return Promise.resolve(failed(partition, error, ctx));
    }
  }
  // The broker checks acks (INVALID_REQUIRED_ACKS); the cast only narrows the type.
  return ctx.broker.produce(topic, partition, bytes, acks as Acks, timeoutMs).then(
    (result: ProduceResult) => ({
      index: partition,
      errorCode: KAFKA_ERRORS.NONE,
      baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTime,
      logStartOffset: result.logStartOffset,
      recordErrors: [],
      errorMessage: null,
    }),
    (error: unknown) => failed(partition, error, ctx),
  );
}

/** The topic's max.message.bytes, the cap on what a compressed legacy wrapper may inflate to. */
function maxMessageBytes(ctx: RequestContext, topic: string): number {
  const value = Number(ctx.broker.describeConfigs(topic).find((c) => c.name === 'max.message.bytes')?.value);
  return Number.isSafeInteger(value) && value > 0 ? value : 1048588;
}

function failed(partition: number, error: unknown, ctx: RequestContext): PartitionProduceResponse {
  return failedWith(partition, toKafkaErrorCode(error), ctx, error);
}

function failedWith(partition: number, errorCode: number, ctx: RequestContext, error: unknown): PartitionProduceResponse {
  return {
    index: partition,
    errorCode,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage: ctx.apiVersion >= 8 ? errorMessageOf(error) : null,
  };
}

function closeOnError(ctx: RequestContext, responses: Array<{ name: string; partitionResponses: PartitionProduceResponse[] }>): NoResponse {
  for (const t of responses) {
    const bad = t.partitionResponses.find((p) => p.errorCode !== KAFKA_ERRORS.NONE);
    if (bad) {
      ctx.closeConnection(`acks=0 produce to ${t.name}-${bad.index} failed with error ${bad.errorCode}`);
      break;
    }
  }
  return NO_RESPONSE;
}
