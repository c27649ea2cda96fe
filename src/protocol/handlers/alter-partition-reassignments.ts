/**
 * AlterPartitionReassignments (key 45, v0; KIP-455, kafka-reassign-partitions.sh, kafkajs
 * admin.alterPartitionReassignments): per partition, target replicas start a reassignment and
 * null cancels one. The request is recorded in etcd and the answer comes once it is: the
 * controller carries it out afterwards (ListPartitionReassignments shows it until it is done).
 * Outside a cluster only a reassignment to this broker alone is accepted (a no-op).
 */
import { SkeinError } from '../../errors.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeAlterPartitionReassignmentsRequest,
  encodeAlterPartitionReassignmentsResponse,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
} from '../messages/alter-partition-reassignments.js';
import { defineHandler, errorMessageOf, type RequestContext } from './handler.js';

async function reassign(ctx: RequestContext, topic: string, partition: number, replicas: number[] | null): Promise<void> {
  const member = ctx.broker.clusterMember;
  if (member) return member.reassign(topic, partition, replicas);
  if (ctx.broker.partitionCount(topic) <= partition) {
    throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
  }
  if (replicas === null) throw new SkeinError('SKEIN_NO_REASSIGNMENT_IN_PROGRESS', `no reassignment of ${topic}-${partition} is in progress`, { topic, partition });
  if (replicas.length !== 1 || replicas[0] !== ctx.broker.nodeId) {
    throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `this broker runs alone: ${topic}-${partition} can only live on broker ${ctx.broker.nodeId}`, { topic, partition });
  }
}

export const alterPartitionReassignmentsHandler = defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  decode: decodeAlterPartitionReassignmentsRequest,
  encode: encodeAlterPartitionReassignmentsResponse,
  async handle(request, ctx) {
    const responses = [];
    // One partition after another: each is a compare-and-set in etcd, and a request naming one
    // partition twice must not race with itself.
    for (const t of request.topics) {
      const partitions = [];
      for (const p of t.partitions) {
        try {
          await reassign(ctx, t.name, p.partitionIndex, p.replicas);
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: KAFKA_ERRORS.NONE, errorMessage: null });
        } catch (err) {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: toKafkaErrorCode(err), errorMessage: errorMessageOf(err) });
        }
      }
      responses.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.NONE, errorMessage: null, responses };
  },
  errorResponse(request, errorCode, _ctx, error) {
    const errorMessage = errorMessageOf(error);
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      responses: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage })) })),
    };
  },
});
