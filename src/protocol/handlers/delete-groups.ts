/**
 * DeleteGroups (key 42, v0–2): deletes empty groups and their committed offsets; per group
 * NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND or INVALID_GROUP_ID from the coordinator.
 */
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import { decodeDeleteGroupsRequest, encodeDeleteGroupsResponse, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../messages/delete-groups.js';
import { defineHandler } from './handler.js';

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeDeleteGroupsRequest,
  encode: encodeDeleteGroupsResponse,
  async handle(request, ctx) {
    const results = await ctx.broker.groups.deleteGroups(request.groupsNames);
    return {
      throttleTimeMs: 0,
      results: [...new Set(request.groupsNames)].map((groupId) => {
        const error = results.get(groupId);
        return { groupId, errorCode: error ? toKafkaErrorCode(error) : KAFKA_ERRORS.NONE };
      }),
    };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, results: [...new Set(request.groupsNames)].map((groupId) => ({ groupId, errorCode })) };
  },
});
