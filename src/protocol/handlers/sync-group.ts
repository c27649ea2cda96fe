/**
 * SyncGroup (key 14, v0–4): the leader hands in every member's assignment, followers none;
 * the GroupCoordinator parks followers until the leader's arrives and answers each with its
 * own bytes (opaque here: the consumer protocol's Assignment).
 */
import { KAFKA_ERRORS } from '../error-codes.js';
import { decodeSyncGroupRequest, encodeSyncGroupResponse, type SyncGroupRequest, type SyncGroupResponse } from '../messages/sync-group.js';
import { defineHandler } from './handler.js';

const EMPTY = Buffer.alloc(0);

export const syncGroupHandler = defineHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeSyncGroupRequest,
  encode: encodeSyncGroupResponse,
  async handle(request, ctx) {
    const synced = await ctx.broker.groups.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId ?? null,
      assignments: request.assignments,
    });
    return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.NONE, assignment: synced.assignment };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, assignment: EMPTY };
  },
});
