/**
 * FindCoordinator (key 10, v0–4): the broker that coordinates a group (Broker.findCoordinator:
 * the leader of the group's __consumer_offsets partition), at its advertised listener; a
 * partition without leader answers COORDINATOR_NOT_AVAILABLE, which clients retry. v0–3
 * carry one key; v4 (platformatic) batches keys in coordinatorKeys and answers one coordinator
 * (or error) per key. v0 must stay served: librdkafka 2.0.2 never looks for a group
 * coordinator unless 0 is in range.
 */
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import type { BrokerDescription } from '../../broker/types.js';
import {
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../messages/find-coordinator.js';
import { defineHandler, type RequestContext } from './handler.js';

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeFindCoordinatorRequest,
  encode: encodeFindCoordinatorResponse,
  async handle(request, ctx) {
    if (ctx.apiVersion < 4) {
      const found = await lookUp(request.key ?? '', ctx);
      if ('errorCode' in found) return single(found.errorCode);
      return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.NONE, errorMessage: null, nodeId: found.nodeId, host: found.host, port: found.port };
    }
    const coordinators = [];
    for (const key of request.coordinatorKeys ?? []) {
      const found = await lookUp(key, ctx);
      coordinators.push('errorCode' in found ? { key, nodeId: -1, host: '', port: -1, errorCode: found.errorCode, errorMessage: null } : { key, ...found, errorCode: KAFKA_ERRORS.NONE, errorMessage: null });
    }
    return { throttleTimeMs: 0, coordinators };
  },
  errorResponse(request, errorCode, ctx) {
    if (ctx.apiVersion < 4) return single(errorCode);
    // v4 answers per key; the single-key fields are not ignorable and stay at their defaults.
    return { throttleTimeMs: 0, coordinators: (request.coordinatorKeys ?? []).map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })) };
  },
});

function single(errorCode: number): FindCoordinatorResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 };
}

/** The coordinator of one key, or the Kafka error to answer for it (COORDINATOR_NOT_AVAILABLE while its partition has no leader). */
async function lookUp(key: string, ctx: RequestContext): Promise<BrokerDescription | { errorCode: number }> {
  try {
    const { nodeId, host, port } = await ctx.broker.findCoordinator(key);
    return { nodeId, host, port };
  } catch (err) {
    const code = toKafkaErrorCode(err);
    // etcd not answering while the topic is created: clients retry COORDINATOR_NOT_AVAILABLE.
    return { errorCode: code === KAFKA_ERRORS.REQUEST_TIMED_OUT ? KAFKA_ERRORS.COORDINATOR_NOT_AVAILABLE : code };
  }
}
