/**
 * ListOffsets (key 2, v1–5): per partition, -2 → log start offset, -1 → log end offset
 * (= high watermark = last stable offset: no transactions yet, so the isolation level does
 * not change the answer), a time in ms → the first offset whose timestamp is at or after it
 * (offset -1 when there is none, as Kafka). v0 (offset lists) is not served: kafkajs uses 3
 * and librdkafka 2.0.2 uses 2. -3 (max timestamp) needs v7. leaderEpoch (v4+) is 0, the one
 * epoch of a single broker (see metadata.ts).
 */
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../messages/list-offsets.js';
import { defineHandler } from './handler.js';

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 1,
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
            const found = ctx.broker.listOffsets(t.name, p.partitionIndex, p.timestamp);
            // leaderEpoch is not ignorable: versions before 4 must leave it at its default (-1).
            return { partitionIndex: p.partitionIndex, errorCode: KAFKA_ERRORS.NONE, timestamp: found.timestamp, offset: found.offset, leaderEpoch: ctx.apiVersion >= 4 ? 0 : -1 };
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

function failed(partition: number, errorCode: number): ListOffsetsPartitionResponse {
  return { partitionIndex: partition, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 };
}
