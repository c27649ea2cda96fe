/**
 * OffsetForLeaderEpoch (key 23, v0–4, all of Kafka 3.9's): per partition, the largest leader
 * epoch <= the one asked that this broker's log knows, and the offset where it ends (the
 * start of the next epoch, or the log end offset for the current one): Kafka's
 * LeaderEpochFileCache semantics (KIP-101, KIP-279), from Partition.endOffsetForEpoch.
 * Followers ask it to find where their log diverged from the leader's; librdkafka asks it
 * after a leader change to validate a consumer's position (KIP-320).
 *
 * Per partition: UNKNOWN_TOPIC_OR_PARTITION; NOT_LEADER_OR_FOLLOWER from a broker of a
 * cluster that does not lead it; FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH when
 * currentLeaderEpoch (v2+, -1 = not checked) is older / newer than this broker's epoch.
 * An epoch the log does not know answers leaderEpoch -1, endOffset -1 with no error, as Kafka.
 * replicaId (v3+) changes nothing: only the leader answers, for followers and consumers alike.
 */
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeOffsetForLeaderEpochRequest,
  encodeOffsetForLeaderEpochResponse,
  type EpochEndOffset,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../messages/offset-for-leader-epoch.js';
import { defineHandler } from './handler.js';

export const offsetForLeaderEpochHandler = defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeOffsetForLeaderEpochRequest,
  encode: encodeOffsetForLeaderEpochResponse,
  handle(request, ctx) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p): EpochEndOffset => {
          try {
            const found = ctx.broker.offsetForLeaderEpoch(t.topic, p.partition, p.currentLeaderEpoch ?? -1, p.leaderEpoch);
            return { errorCode: KAFKA_ERRORS.NONE, partition: p.partition, leaderEpoch: found.leaderEpoch, endOffset: found.endOffset };
          } catch (error) {
            return failed(p.partition, toKafkaErrorCode(error));
          }
        }),
      })),
    };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => failed(p.partition, errorCode)) })) };
  },
});

function failed(partition: number, errorCode: number): EpochEndOffset {
  return { errorCode, partition, leaderEpoch: -1, endOffset: -1 };
}
