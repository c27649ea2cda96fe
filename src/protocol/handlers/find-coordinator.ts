/**
 * FindCoordinator (key 10, v0–4): the broker that coordinates a group (Broker.coordinatorFor:
 * this node alone, or the same broker of a cluster for every member), at its advertised listener. v0–3 carry one key; v4 (platformatic)
 * batches keys in coordinatorKeys and answers one coordinator per key. v0 must stay served:
 * librdkafka 2.0.2 never looks for a group coordinator unless 0 is in range.
 */
import { KAFKA_ERRORS } from '../error-codes.js';
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
  handle(request, ctx) {
    return answer(request, ctx, KAFKA_ERRORS.NONE);
  },
  errorResponse(request, errorCode, ctx) {
    return answer(request, ctx, errorCode);
  },
});

function answer(request: FindCoordinatorRequest, ctx: RequestContext, errorCode: number): FindCoordinatorResponse {
  const ok = errorCode === KAFKA_ERRORS.NONE;
  if (ctx.apiVersion < 4) {
    const { nodeId, host, port } = ctx.broker.coordinatorFor(request.key ?? '');
    return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: ok ? nodeId : -1, host: ok ? host : '', port: ok ? port : -1 };
  }
  // v4 answers per key; the single-key fields are not ignorable and stay at their defaults.
  return {
    throttleTimeMs: 0,
    coordinators: (request.coordinatorKeys ?? []).map((key) => {
      const { nodeId, host, port } = ctx.broker.coordinatorFor(key);
      return { key, nodeId: ok ? nodeId : -1, host: ok ? host : '', port: ok ? port : -1, errorCode, errorMessage: null };
    }),
  };
}
