/**
 * ListPartitionReassignments (key 46, v0; kafka-reassign-partitions.sh --verify/--list, kafkajs
 * admin.listPartitionReassignments): the reassignments in progress with each partition's
 * current replicas and the replicas being added and removed, all of them or those of the
 * partitions asked for. Outside a cluster there are none.
 */
import { KAFKA_ERRORS } from '../error-codes.js';
import {
  decodeListPartitionReassignmentsRequest,
  encodeListPartitionReassignmentsResponse,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
  type OngoingTopicReassignment,
} from '../messages/list-partition-reassignments.js';
import { defineHandler, errorMessageOf } from './handler.js';

export const listPartitionReassignmentsHandler = defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: 46,
  name: 'ListPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeListPartitionReassignmentsRequest,
  encode: encodeListPartitionReassignmentsResponse,
  async handle(request, ctx) {
    const member = ctx.broker.clusterMember;
    if (member) await member.refresh();
    const wanted = request.topics === null ? undefined : new Set(request.topics.flatMap((t) => t.partitionIndexes.map((p) => `${t.name}/${p}`)));
    const byTopic = new Map<string, OngoingTopicReassignment>();
    for (const r of member?.reassignments() ?? []) {
      if (wanted && !wanted.has(`${r.topic}/${r.partition}`)) continue;
      let topic = byTopic.get(r.topic);
      if (!topic) byTopic.set(r.topic, (topic = { name: r.topic, partitions: [] }));
      topic.partitions.push({ partitionIndex: r.partition, replicas: r.replicas, addingReplicas: r.adding, removingReplicas: r.removing });
    }
    return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.NONE, errorMessage: null, topics: [...byTopic.values()] };
  },
  errorResponse(_request, errorCode, _ctx, error) {
    return { throttleTimeMs: 0, errorCode, errorMessage: errorMessageOf(error), topics: [] };
  },
});
