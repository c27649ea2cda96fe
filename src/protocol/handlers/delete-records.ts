/**
 * DeleteRecords (key 21, v0–2; kafkajs admin.deleteTopicRecords, kafka-delete-records.sh):
 * per partition, records below the given offset (-1: the high watermark) stop being served
 * and their whole segments are deleted; the answer carries the new low watermark (log start
 * offset). UNKNOWN_TOPIC_OR_PARTITION for a missing partition, OFFSET_OUT_OF_RANGE for an
 * offset past the high watermark, each partition on its own.
 */
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import { decodeDeleteRecordsRequest, encodeDeleteRecordsResponse, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../messages/delete-records.js';
import { defineHandler } from './handler.js';

export const deleteRecordsHandler = defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeDeleteRecordsRequest,
  encode: encodeDeleteRecordsResponse,
  async handle(request, ctx) {
    const topics = await Promise.all(
      request.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            try {
              const lowWatermark = await ctx.broker.deleteRecords(t.name, p.partitionIndex, p.offset);
              return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: KAFKA_ERRORS.NONE };
            } catch (err) {
              return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: toKafkaErrorCode(err) };
            }
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode })) })),
    };
  },
});
