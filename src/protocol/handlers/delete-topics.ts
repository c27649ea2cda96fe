/**
 * DeleteTopics (key 20, v0–6): each topic through `broker.deleteTopic`. v6 names topics by
 * {name, topicId}; topics have no ids here (Metadata ≤ 9), so an entry without a name is
 * UNKNOWN_TOPIC_ID.
 */
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
  type DeletableTopicResult,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../messages/delete-topics.js';
import { defineHandler, errorMessageOf } from './handler.js';

export const deleteTopicsHandler = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  decode: decodeDeleteTopicsRequest,
  encode: encodeDeleteTopicsResponse,
  async handle(request, ctx) {
    const responses = await Promise.all(
      namesOf(request, ctx.apiVersion).map(async ({ name, topicId }): Promise<DeletableTopicResult> => {
        if (name === null) return { name, topicId, errorCode: KAFKA_ERRORS.UNKNOWN_TOPIC_ID, errorMessage: 'topics have no ids on this broker' };
        try {
          await ctx.broker.deleteTopic(name);
          return { name, topicId, errorCode: KAFKA_ERRORS.NONE, errorMessage: null };
        } catch (error) {
          return { name, topicId, errorCode: toKafkaErrorCode(error), errorMessage: errorMessageOf(error) };
        }
      }),
    );
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, ctx, error) {
    return { throttleTimeMs: 0, responses: namesOf(request, ctx.apiVersion).map((t) => ({ ...t, errorCode, errorMessage: errorMessageOf(error) })) };
  },
});

function namesOf(request: DeleteTopicsRequest, version: number): Array<{ name: string | null; topicId: string }> {
  const zero = 'AAAAAAAAAAAAAAAAAAAAAA';
  if (version >= 6) return (request.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId }));
  return (request.topicNames ?? []).map((name) => ({ name, topicId: zero }));
}
