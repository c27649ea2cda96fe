/**
 * Heartbeat (key 12, v0–4): keeps a member alive; REBALANCE_IN_PROGRESS tells it to rejoin,
 * UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION that it was dropped (all from the coordinator).
 */
import { KAFKA_ERRORS } from '../error-codes.js';
import { decodeHeartbeatRequest, encodeHeartbeatResponse, type HeartbeatRequest, type HeartbeatResponse } from '../messages/heartbeat.js';
import { defineHandler } from './handler.js';

export const heartbeatHandler = defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeHeartbeatRequest,
  encode: encodeHeartbeatResponse,
  async handle(request, ctx) {
    await ctx.broker.groups.heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId ?? null,
    });
    return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.NONE };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
