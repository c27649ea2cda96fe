/**
 * Metadata (key 3, v0–9): the live brokers (this node alone, or every broker registered in
 * the cluster's etcd), the cluster id, the controller (v1+), and per topic its partitions with
 * leader, leader epoch, replicas and in-sync replicas (one broker: this node for all).
 *
 * Topic lists: v0 sends [] for "all topics", v1+ sends null for all and [] for none. Topics
 * that do not exist are created here when the request allows it (always before v4, then
 * allowAutoTopicCreation) and the broker does (auto.create.topics.enable): Kafka creates
 * topics on Metadata, never on Produce, and producers (kafkajs, kcat -P) ask for metadata
 * first. The creation is awaited, so the answer already lists the new topic's partitions
 * instead of Kafka's LEADER_NOT_AVAILABLE-then-retry. Consumers of librdkafka send false and
 * get UNKNOWN_TOPIC_OR_PARTITION, as from Kafka. All-topics answers include the internal
 * __consumer_offsets (isInternal, v1+), as Kafka's do.
 *
 * Capped at v9 (topic names, no topic ids): platformatic keys Fetch topics by Metadata's
 * topic id, which under v9 is the name (KAFKA-PROTOCOL.md §3).
 */
import type { Broker } from '../../broker/broker.js';
import { SkeinError } from '../../errors.js';
import { validateTopicName } from '../../broker/topic-name.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '../messages/metadata.js';
import { AUTHORIZED_OPERATIONS_OMITTED, defineHandler, type RequestContext } from './handler.js';

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 9,
  decode: decodeMetadataRequest,
  encode: encodeMetadataResponse,
  handle(request, ctx) {
    const { broker, apiVersion } = ctx;
    const all = request.topics === null || (apiVersion === 0 && request.topics.length === 0);
    if (all) return response(ctx, broker.listTopics(true), new Map());
    const names = [...new Set(request.topics!.map((t) => t.name))];
    const missing = names.filter((name) => !broker.hasTopic(name));
    const errors = new Map<string, unknown>();
    const mayCreate = (apiVersion < 4 || request.allowAutoTopicCreation !== false) && broker.autoCreateTopics;
    if (missing.length === 0) return response(ctx, names, errors);
    if (!mayCreate) {
      for (const name of missing) errors.set(name, unknownOrInvalid(name));
      return response(ctx, names, errors);
    }
    return Promise.all(
      missing.map((name) => broker.ensureTopic(name, true).catch((error: unknown) => void errors.set(name, error))),
    ).then(() => response(ctx, names, errors));
  },
  errorResponse(request, errorCode, ctx) {
    const topics = (request.topics ?? []).map((t) => topicError(t.name, errorCode));
    return { ...frame(ctx), topics };
  },
});

/** SKEIN_INVALID_TOPIC for a name Kafka would refuse, else SKEIN_UNKNOWN_TOPIC_OR_PARTITION. */
function unknownOrInvalid(name: string): unknown {
  try {
    validateTopicName(name);
    return new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
  } catch (error) {
    return error;
  }
}

function frame(ctx: RequestContext): Omit<MetadataResponse, 'topics'> {
  const { broker } = ctx;
  return {
    throttleTimeMs: 0,
    // Every live broker (in a cluster: those registered in etcd; alone: this one).
    brokers: broker.brokers().map(({ nodeId, host, port }) => ({ nodeId, host, port, rack: null })),
    clusterId: ctx.clusterId,
    controllerId: broker.controllerId,
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function response(ctx: RequestContext, names: string[], errors: Map<string, unknown>): MetadataResponse {
  const head = frame(ctx);
  const live = new Set(head.brokers.map((b) => b.nodeId));
  const topics = names.map((name) => {
    const error = errors.get(name);
    if (error !== undefined) return topicError(name, toKafkaErrorCode(error));
    return describe(ctx.broker, name, live);
  });
  return { ...head, topics };
}

/**
 * `live`: the brokers this answer lists. A leader not among them (its registration expired
 * before the controller moved its partitions) is answered as Kafka's metadata cache does:
 * LEADER_NOT_AVAILABLE, leader -1. Naming it would send clients to a broker they cannot find
 * in the list (@platformatic/kafka 1.x threw an uncaught TypeError on such an answer).
 */
function describe(broker: Broker, name: string, live: ReadonlySet<number>): MetadataResponseTopic {
  let description;
  try {
    description = broker.describeTopic(name);
  } catch (error) {
    // Deleted between the listing and now.
    return topicError(name, toKafkaErrorCode(error));
  }
  return {
    errorCode: KAFKA_ERRORS.NONE,
    name,
    isInternal: description.internal,
    partitions: description.partitions.map((p) => {
      // A cluster partition with no live in-sync replica has no leader (-1); nor one whose leader is gone.
      const leader = p.leader >= 0 && live.has(p.leader) ? p.leader : -1;
      return {
        errorCode: leader < 0 ? KAFKA_ERRORS.LEADER_NOT_AVAILABLE : KAFKA_ERRORS.NONE,
        partitionIndex: p.partition,
        leaderId: leader,
        // Grows with each leader change in a cluster; 0 on one broker. Clients compare it to
        // drop stale metadata (KIP-320).
        leaderEpoch: p.leaderEpoch ?? 0,
        replicaNodes: p.replicas,
        isrNodes: p.isr,
        offlineReplicas: [],
      };
    }),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function topicError(name: string, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}
