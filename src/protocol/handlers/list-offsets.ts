/**
 * ListOffsets (key 2, v0–5): per partition, -2 → log start offset, -1 → log end offset
 * (= high watermark = last stable offset: no transactions yet, so the isolation level does
 * not change the answer), a time in ms → the first offset whose timestamp is at or after it
 * (offset -1 when there is none, as Kafka). -3 (max timestamp) needs v7. leaderEpoch (v4+)
 * is the leader epoch of the offset found (Partition.listOffsets; 0 on a single broker), and
 * currentLeaderEpoch (v4+, KIP-320) is fenced: FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH.
 *
 * v0 (librdkafka with broker.version.fallback < 0.10.1, old Java/Go/Python clients) answers
 * a list of at most maxNumOffsets offsets instead. Kafka 3.x builds it from segment base
 * offsets and file modification times; clients ask for one offset of -1 or -2, which is the
 * same single offset here. For a time, the list holds the v1 answer, or the log end offset
 * when no record is that recent (Kafka's answer for a time after the last write).
 */
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../messages/list-offsets.js';
import { defineHandler, type RequestContext } from './handler.js';

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 5,
  decode: decodeListOffsetsRequest,
  encode: encodeListOffsetsResponse,
  handle(request, ctx) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p): ListOffsetsPartitionResponse => {
          try {
            const found = ctx.broker.listOffsets(t.name, p.partitionIndex, p.timestamp, p.currentLeaderEpoch ?? -1);
            if (ctx.apiVersion === 0) return oldStyle(ctx, t.name, p.partitionIndex, found.offset, p.maxNumOffsets ?? 1);
            // leaderEpoch is not ignorable: versions before 4 must leave it at its default (-1).
            return { partitionIndex: p.partitionIndex, errorCode: KAFKA_ERRORS.NONE, timestamp: found.timestamp, offset: found.offset, leaderEpoch: ctx.apiVersion >= 4 ? found.leaderEpoch : -1 };
          } catch (error) {
            return failed(p.partitionIndex, toKafkaErrorCode(error));
          }
        }),
      })),
    };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => failed(p.partitionIndex, errorCode)) })) };
  },
});

/** v0's answer: a list of offsets (the newest first in Kafka), here the one offset found. */
function oldStyle(ctx: RequestContext, topic: string, partition: number, offset: number, maxNumOffsets: number): ListOffsetsPartitionResponse {
  const found = offset >= 0 ? offset : ctx.broker.offsets(topic, partition).highWatermark;
  return { partitionIndex: partition, errorCode: KAFKA_ERRORS.NONE, oldStyleOffsets: maxNumOffsets > 0 ? [found] : [] };
}

function failed(partition: number, errorCode: number): ListOffsetsPartitionResponse {
  return { partitionIndex: partition, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 };
}
