/**
 * ListGroups (key 16, v0–4): every group with its protocol type; v4 adds the state and a
 * states filter (matched without regard to case, as Kafka does).
 */
import { KAFKA_ERRORS } from '../error-codes.js';
import { decodeListGroupsRequest, encodeListGroupsResponse, type ListGroupsRequest, type ListGroupsResponse } from '../messages/list-groups.js';
import { defineHandler } from './handler.js';

export const listGroupsHandler = defineHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeListGroupsRequest,
  encode: encodeListGroupsResponse,
  handle(request, ctx) {
    const wanted = new Set((request.statesFilter ?? []).map((s) => s.toLowerCase()));
    const groups = ctx.broker.groups
      .listGroups()
      .filter((g) => wanted.size === 0 || wanted.has(g.state.toLowerCase()))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state }));
    return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.NONE, groups };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
});
