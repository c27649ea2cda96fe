/**
 * LeaveGroup (key 13, v0–4): v0–2 name one member; v3+ a list of {memberId,
 * groupInstanceId} (KIP-345), answered member by member. As in Kafka, v3+ keeps the
 * top-level error for the whole request and reports unknown or fenced members in their own
 * entries; v0–2 have only the top-level error.
 */
import type { SkeinError } from '../../errors.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeLeaveGroupRequest,
  encodeLeaveGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type MemberIdentity,
} from '../messages/leave-group.js';
import { defineHandler } from './handler.js';

interface MemberOutcome {
  memberId: string;
  groupInstanceId: string | null;
  error: SkeinError | null;
}

export const leaveGroupHandler = defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeLeaveGroupRequest,
  encode: encodeLeaveGroupResponse,
  async handle(request, ctx) {
    const members = membersOf(request, ctx.apiVersion);
    try {
      await ctx.broker.groups.leaveGroup({ groupId: request.groupId, members });
    } catch (error) {
      const outcomes = (error as { memberErrors?: MemberOutcome[] }).memberErrors;
      // Per-member outcomes exist only for v3+; otherwise the first failure is the answer.
      if (ctx.apiVersion < 3 || !Array.isArray(outcomes)) throw error;
      return {
        throttleTimeMs: 0,
        errorCode: KAFKA_ERRORS.NONE,
        members: outcomes.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.error ? toKafkaErrorCode(m.error) : KAFKA_ERRORS.NONE })),
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: KAFKA_ERRORS.NONE,
      // Not ignorable: v0–2 responses must not carry members.
      members: ctx.apiVersion >= 3 ? members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: KAFKA_ERRORS.NONE })) : [],
    };
  },
  errorResponse(request, errorCode, ctx) {
    return {
      throttleTimeMs: 0,
      errorCode,
      members: ctx.apiVersion >= 3 ? membersOf(request, ctx.apiVersion).map((m) => ({ ...m, errorCode })) : [],
    };
  },
});

function membersOf(request: LeaveGroupRequest, version: number): MemberIdentity[] {
  if (version >= 3) return request.members ?? [];
  return [{ memberId: request.memberId ?? '', groupInstanceId: null }];
}
