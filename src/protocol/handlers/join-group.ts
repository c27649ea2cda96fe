/**
 * JoinGroup (key 11, v0–6): the GroupCoordinator parks the join until the rebalance
 * completes; the connection keeps answering in order, so later requests on the same
 * connection wait behind it, as in Kafka. v4+ sets requireKnownMemberId: a first join without
 * a memberId gets MEMBER_ID_REQUIRED with the generated id in the response's memberId, and the
 * client rejoins with it (kafkajs and librdkafka do). v0 has no rebalance timeout (the
 * decoder's -1 lets the coordinator use the session timeout). Member metadata is opaque.
 */
import { KAFKA_ERRORS } from '../error-codes.js';
import { decodeJoinGroupRequest, encodeJoinGroupResponse, type JoinGroupRequest, type JoinGroupResponse } from '../messages/join-group.js';
import { defineHandler } from './handler.js';

export const joinGroupHandler = defineHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 6,
  decode: decodeJoinGroupRequest,
  encode: encodeJoinGroupResponse,
  async handle(request, ctx) {
    const joined = await ctx.broker.groups.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId ?? null,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs ?? -1,
      protocolType: request.protocolType,
      protocols: request.protocols,
      requireKnownMemberId: ctx.apiVersion >= 4,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
    });
    return {
      throttleTimeMs: 0,
      errorCode: KAFKA_ERRORS.NONE,
      generationId: joined.generationId,
      protocolName: joined.protocolName,
      leader: joined.leader,
      memberId: joined.memberId,
      members: joined.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    };
  },
  errorResponse(request, errorCode, _ctx, error) {
    // MEMBER_ID_REQUIRED carries the id the client must rejoin with.
    const assigned = (error as { memberId?: unknown } | null)?.memberId;
    const memberId = errorCode === KAFKA_ERRORS.MEMBER_ID_REQUIRED && typeof assigned === 'string' ? assigned : request.memberId;
    return { throttleTimeMs: 0, errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] };
  },
});
