/**
 * OffsetFetch (key 9, v0–8): a group's committed offsets from the GroupCoordinator; offset
 * -1 (error NONE) where nothing is committed, so the client applies auto.offset.reset.
 * topics null (v2+) = every partition the group has committed. v8 batches groups
 * (platformatic). Where the error goes depends on the version: v0–1 have only per-partition
 * codes, v2–7 a top-level one, v8 one per group. requireStable (v7+) needs nothing: no
 * transactions, so no offset is ever pending.
 */
import type { CommittedOffset, TopicPartition } from '../../broker/types.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseTopic,
} from '../messages/offset-fetch.js';
import { defineHandler, type RequestContext } from './handler.js';

type RequestedTopics = Array<{ name: string; partitionIndexes: number[] }> | null;

export const offsetFetchHandler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 8,
  decode: decodeOffsetFetchRequest,
  encode: encodeOffsetFetchResponse,
  async handle(request, ctx) {
    if (ctx.apiVersion >= 8) {
      const groups = await Promise.all(
        (request.groups ?? []).map(async (g) => {
          try {
            return { groupId: g.groupId, topics: byTopic(await committed(ctx, g.groupId, g.topics)), errorCode: KAFKA_ERRORS.NONE };
          } catch (error) {
            return { groupId: g.groupId, topics: [], errorCode: toKafkaErrorCode(error) };
          }
        }),
      );
      return { throttleTimeMs: 0, groups };
    }
    const topics = byTopic(await committed(ctx, request.groupId ?? '', request.topics ?? null));
    return { throttleTimeMs: 0, topics, errorCode: KAFKA_ERRORS.NONE };
  },
  errorResponse(request, errorCode, ctx) {
    if (ctx.apiVersion >= 8) {
      return { throttleTimeMs: 0, groups: (request.groups ?? []).map((g) => ({ groupId: g.groupId, topics: [], errorCode })) };
    }
    // v0–1 have no top-level error code: every requested partition carries it.
    const topics: OffsetFetchResponseTopic[] =
      ctx.apiVersion <= 1
        ? (request.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode })),
          }))
        : [];
    return { throttleTimeMs: 0, topics, errorCode };
  },
});

function committed(ctx: RequestContext, groupId: string, topics: RequestedTopics): Promise<CommittedOffset[]> {
  const partitions: TopicPartition[] | null = topics === null ? null : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  return ctx.broker.groups.fetchOffsets({ groupId, partitions });
}

/** The fields v1–7 topics and v8 groups' topics share. */
interface TopicOffsets {
  name: string;
  partitions: Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string | null; errorCode: number }>;
}

/** Offsets grouped by topic, in first-seen order. */
function byTopic(offsets: CommittedOffset[]): TopicOffsets[] {
  const topics = new Map<string, TopicOffsets>();
  for (const o of offsets) {
    let topic = topics.get(o.topic);
    if (!topic) topics.set(o.topic, (topic = { name: o.topic, partitions: [] }));
    topic.partitions.push({
      partitionIndex: o.partition,
      committedOffset: o.offset,
      committedLeaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      errorCode: KAFKA_ERRORS.NONE,
    });
  }
  return [...topics.values()];
}
