/**
 * The requests the CLI's commands send, each one typed call over a KafkaConnection with the
 * API version every Kafka broker since 2.x serves (and Skein does). Errors the broker returns
 * per topic, partition or group are left in the answers for the commands to word; failures of
 * the whole call (a missing topic where one is required) are CliFailures.
 */
import { KAFKA_ERRORS } from '../protocol/error-codes.js';
import { decodeListOffsetsResponse, encodeListOffsetsRequest } from '../protocol/messages/list-offsets.js';
import { decodeMetadataResponse, encodeMetadataRequest, type MetadataResponse } from '../protocol/messages/metadata.js';
import { decodeOffsetFetchResponse, encodeOffsetFetchRequest } from '../protocol/messages/offset-fetch.js';
import { decodeOffsetCommitResponse, encodeOffsetCommitRequest } from '../protocol/messages/offset-commit.js';
import { CliFailure, EXIT } from './exit-codes.js';
import type { KafkaConnection } from './kafka-connection.js';
import { errorText, exitFor } from './session.js';

export const API = {
  produce: { key: 0, version: 3 },
  fetch: { key: 1, version: 4 },
  listOffsets: { key: 2, version: 1 },
  metadata: { key: 3, version: 4 },
  offsetCommit: { key: 8, version: 2 },
  offsetFetch: { key: 9, version: 2 },
  listGroups: { key: 16, version: 0 },
  describeGroups: { key: 15, version: 0 },
  createTopics: { key: 19, version: 4 },
  deleteTopics: { key: 20, version: 4 },
  deleteRecords: { key: 21, version: 1 },
  describeConfigs: { key: 32, version: 1 },
  alterConfigs: { key: 33, version: 0 },
  createPartitions: { key: 37, version: 1 },
  deleteGroups: { key: 42, version: 0 },
} as const;

export const EARLIEST = -2;
export const LATEST = -1;

export type TopicMetadata = MetadataResponse['topics'][number];

/** Metadata of some topics (all with `null`), never creating them. */
export async function metadata(c: KafkaConnection, topics: string[] | null): Promise<MetadataResponse> {
  const { key, version } = API.metadata;
  return c.request(key, version, (w) => encodeMetadataRequest(w, version, { topics: topics && topics.map((name) => ({ name })), allowAutoTopicCreation: false }), decodeMetadataResponse);
}

/** One topic's metadata; a missing topic is a CliFailure with exit code NOT_FOUND. */
export async function requireTopic(c: KafkaConnection, topic: string): Promise<TopicMetadata> {
  const t = (await metadata(c, [topic])).topics[0];
  const code = t?.errorCode ?? KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION;
  if (!t || code !== KAFKA_ERRORS.NONE) {
    const hint = code === KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION ? ' (skein topics list shows the topics there are)' : '';
    throw new CliFailure(`topic ${topic}: ${errorText(code)}${hint}`, exitFor(code));
  }
  return t;
}

/** Partition indexes of a topic, ascending. */
export function partitionsOf(t: TopicMetadata): number[] {
  return t.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
}

/** ListOffsets for many partitions of many topics at once: timestamp -2 earliest, -1 latest. */
export async function listOffsets(c: KafkaConnection, wanted: Map<string, number[]>, timestamp: number): Promise<Map<string, Map<number, number>>> {
  const { key, version } = API.listOffsets;
  const answer = await c.request(
    key,
    version,
    (w) =>
      encodeListOffsetsRequest(w, version, {
        replicaId: -1,
        topics: [...wanted].map(([name, partitions]) => ({ name, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) })),
      }),
    decodeListOffsetsResponse,
  );
  const out = new Map<string, Map<number, number>>();
  for (const t of answer.topics) out.set(t.name, new Map(t.partitions.map((p) => [p.partitionIndex, p.errorCode === KAFKA_ERRORS.NONE ? (p.offset ?? -1) : -1])));
  return out;
}

/** A group's committed offsets: topic → partition → offset (-1: none). All topics when `topics` is null. */
export async function committedOffsets(c: KafkaConnection, groupId: string, topics: Map<string, number[]> | null): Promise<Map<string, Map<number, number>>> {
  const { key, version } = API.offsetFetch;
  const answer = await c.request(
    key,
    version,
    (w) => encodeOffsetFetchRequest(w, version, { groupId, topics: topics && [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }),
    decodeOffsetFetchResponse,
  );
  if (answer.errorCode !== undefined && answer.errorCode !== KAFKA_ERRORS.NONE) throw new CliFailure(`group ${groupId}: ${errorText(answer.errorCode)}`, exitFor(answer.errorCode));
  const out = new Map<string, Map<number, number>>();
  for (const t of answer.topics ?? []) out.set(t.name, new Map(t.partitions.map((p) => [p.partitionIndex, p.committedOffset])));
  return out;
}

/** Commits offsets for a group from outside group management (generation -1), as kafka-consumer-groups.sh does. */
export async function commitOffsets(c: KafkaConnection, groupId: string, offsets: Map<string, Map<number, number>>): Promise<void> {
  const { key, version } = API.offsetCommit;
  const answer = await c.request(
    key,
    version,
    (w) =>
      encodeOffsetCommitRequest(w, version, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        retentionTimeMs: -1,
        topics: [...offsets].map(([name, partitions]) => ({
          name,
          partitions: [...partitions].map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedMetadata: null })),
        })),
      }),
    decodeOffsetCommitResponse,
  );
  for (const t of answer.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== KAFKA_ERRORS.NONE) {
        const busy = p.errorCode === KAFKA_ERRORS.UNKNOWN_MEMBER_ID || p.errorCode === KAFKA_ERRORS.ILLEGAL_GENERATION || p.errorCode === KAFKA_ERRORS.REBALANCE_IN_PROGRESS;
        throw new CliFailure(
          `cannot commit offsets of group ${groupId} on ${t.name}-${p.partitionIndex}: ${errorText(p.errorCode)}${busy ? ' (the group has active members: stop its consumers first)' : ''}`,
          exitFor(p.errorCode),
        );
      }
    }
  }
}
