/**
 * CreateTopics (key 19, v0–7): each topic through `broker.createTopic`, honouring
 * validateOnly (v1+). numPartitions -1 takes the broker's num.partitions. One broker holds
 * every replica, so the replication factor must be -1 (broker default) or 1, and a manual
 * replica assignment may name only this node (the partition count is then the number of
 * assignments); anything else is INVALID_REPLICATION_FACTOR / INVALID_REPLICA_ASSIGNMENT, as a
 * one-broker Kafka answers. Config entries with a null value mean "default" and are dropped.
 * A name given twice in one request is INVALID_REQUEST for both, as in Kafka. v5+ echoes the
 * partition count, replication factor and resulting configs.
 */
import { SkeinError } from '../../errors.js';
import type { NewTopic } from '../../broker/types.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
  type CreatableTopic,
  type CreatableTopicResult,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from '../messages/create-topics.js';
import { configSourceOf } from './config-source.js';
import { defineHandler, errorMessageOf, type RequestContext } from './handler.js';

export const createTopicsHandler = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  decode: decodeCreateTopicsRequest,
  encode: encodeCreateTopicsResponse,
  async handle(request, ctx) {
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics = await Promise.all(
      request.topics.map(async (t): Promise<CreatableTopicResult> => {
        if (counts.get(t.name)! > 1) {
          return failed(t.name, KAFKA_ERRORS.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`);
        }
        if (!ctx.broker.inCluster && t.replicationFactor !== -1 && t.replicationFactor !== 1 && t.assignments.length === 0) {
          return failed(t.name, KAFKA_ERRORS.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} is larger than the 1 available broker`);
        }
        try {
          await ctx.broker.createTopic(newTopic(t, ctx), { validateOnly: request.validateOnly ?? false });
        } catch (error) {
          return failed(t.name, toKafkaErrorCode(error), errorMessageOf(error));
        }
        return created(t, ctx, request.validateOnly ?? false);
      }),
    );
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode, _ctx, error) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => failed(t.name, errorCode, errorMessageOf(error))) };
  },
});

function newTopic(t: CreatableTopic, ctx: RequestContext): NewTopic {
  let numPartitions = t.numPartitions;
  const configEntries = t.configs.filter((c) => c.value !== null).map((c) => ({ name: c.name, value: c.value! }));
  if (ctx.broker.inCluster) {
    // A cluster places replicas itself (replicationFactor) or as the request says (assignments).
    if (t.assignments.length > 0) {
      if (numPartitions !== -1 || t.replicationFactor !== -1) {
        throw new SkeinError('SKEIN_INVALID_REQUEST', `a replica assignment for ${t.name} needs numPartitions and replicationFactor -1`, { topic: t.name });
      }
      const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      if (sorted.some((a, i) => a.partitionIndex !== i)) {
        throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `the replica assignment for ${t.name} must name partitions 0..n-1 once each`, { topic: t.name });
      }
      return { topic: t.name, numPartitions: sorted.length, replicaAssignment: sorted.map((a) => a.brokerIds), configEntries };
    }
    return { topic: t.name, numPartitions, replicationFactor: t.replicationFactor, configEntries };
  }
  if (t.assignments.length > 0) {
    const elsewhere = t.assignments.some((a) => a.brokerIds.some((id) => id !== ctx.broker.nodeId));
    if (elsewhere || numPartitions !== -1 || t.replicationFactor !== -1) {
      // Kafka's answer: INVALID_REPLICA_ASSIGNMENT for an unknown broker (and for counts given alongside an assignment).
      throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `a replica assignment for ${t.name} may only name broker ${ctx.broker.nodeId}, with numPartitions and replicationFactor -1`, { topic: t.name });
    }
    numPartitions = t.assignments.length;
  }
  return {
    topic: t.name,
    numPartitions,
    configEntries: t.configs.filter((c) => c.value !== null).map((c) => ({ name: c.name, value: c.value! })),
  };
}

function created(t: CreatableTopic, ctx: RequestContext, validateOnly: boolean): CreatableTopicResult {
  const exists = !validateOnly && ctx.broker.hasTopic(t.name);
  return {
    name: t.name,
    errorCode: KAFKA_ERRORS.NONE,
    errorMessage: null,
    numPartitions: exists ? ctx.broker.partitionCount(t.name) : t.numPartitions,
    replicationFactor: exists ? (ctx.broker.describeTopic(t.name).partitions[0]?.replicas.length ?? 1) : t.replicationFactor,
    configs: exists
      ? ctx.broker.describeConfigs(t.name).map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: configSourceOf(c), isSensitive: c.sensitive }))
      : null,
  };
}

function failed(name: string, errorCode: number, errorMessage: string | null): CreatableTopicResult {
  return { name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null };
}
