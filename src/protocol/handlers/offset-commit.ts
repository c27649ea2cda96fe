/**
 * OffsetCommit (key 8, v0–8): commits a group's positions through the GroupCoordinator,
 * which checks member and generation (generation -1: a commit from outside group management,
 * accepted while the group is empty). v0 has neither (older clients' simple commits), so it
 * commits as generation -1 with no member; v1's commitTimestamp is ignored like v2–4's
 * retentionTimeMs (offsets expire by the broker's policy, as in Kafka ≥ 2.1). Partitions of topics that do not exist are answered
 * UNKNOWN_TOPIC_OR_PARTITION and not stored, as Kafka does; the rest succeed or fail together
 * (one write to the offsets log).
 */
import { SkeinError } from '../../errors.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeOffsetCommitRequest,
  encodeOffsetCommitResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
} from '../messages/offset-commit.js';
import type { Broker } from '../../broker/broker.js';
import { defineHandler } from './handler.js';

export const offsetCommitHandler = defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 8,
  decode: decodeOffsetCommitRequest,
  encode: encodeOffsetCommitResponse,
  async handle(request, ctx) {
    const { broker } = ctx;
    const unknown = new Set<string>();
    const offsets = [];
    for (const t of request.topics) {
      for (const p of t.partitions) {
        if (!partitionExists(broker, t.name, p.partitionIndex)) {
          unknown.add(`${t.name}\u0000${p.partitionIndex}`);
          continue;
        }
        offsets.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch ?? -1,
          metadata: p.committedMetadata,
        });
      }
    }
    let errorCode: number = KAFKA_ERRORS.NONE;
    try {
      await broker.groups.commitOffsets({
        groupId: request.groupId,
        generationId: request.generationIdOrMemberEpoch ?? -1,
        memberId: request.memberId ?? '',
        groupInstanceId: request.groupInstanceId ?? null,
        offsets,
      });
    } catch (error) {
      errorCode = toKafkaErrorCode(error);
    }
    const unknownCode = toKafkaErrorCode(new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', 'unknown partition'));
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: unknown.has(`${t.name}\u0000${p.partitionIndex}`) ? unknownCode : errorCode,
        })),
      })),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    };
  },
});

function partitionExists(broker: Broker, topic: string, partition: number): boolean {
  return broker.hasTopic(topic) && Number.isInteger(partition) && partition >= 0 && partition < broker.partitionCount(topic);
}
