/**
 * CreatePartitions (key 37, v0–3): grows topics through `broker.createPartitions` (never
 * shrinks: INVALID_PARTITIONS). validateOnly checks the count against the current one without
 * changing anything. Manual assignments may only name this node.
 */
import { SkeinError } from '../../errors.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeCreatePartitionsRequest,
  encodeCreatePartitionsResponse,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreatePartitionsTopic,
} from '../messages/create-partitions.js';
import { defineHandler, errorMessageOf, type RequestContext } from './handler.js';

export const createPartitionsHandler = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  decode: decodeCreatePartitionsRequest,
  encode: encodeCreatePartitionsResponse,
  async handle(request, ctx) {
    const results = await Promise.all(
      request.topics.map(async (t) => {
        try {
          await grow(t, ctx, request.validateOnly);
          return { name: t.name, errorCode: KAFKA_ERRORS.NONE, errorMessage: null };
        } catch (error) {
          return { name: t.name, errorCode: toKafkaErrorCode(error), errorMessage: errorMessageOf(error) };
        }
      }),
    );
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode, _ctx, error) {
    return { throttleTimeMs: 0, results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: errorMessageOf(error) })) };
  },
});

async function grow(t: CreatePartitionsTopic, ctx: RequestContext, validateOnly: boolean): Promise<void> {
  const { broker } = ctx;
  if ((t.assignments ?? []).some((a) => a.brokerIds.some((id) => id !== broker.nodeId))) {
    throw new SkeinError('SKEIN_INVALID_REQUEST', `an assignment for ${t.name} names a broker other than ${broker.nodeId}`, { topic: t.name });
  }
  if (!validateOnly) return broker.createPartitions(t.name, t.count);
  const current = broker.partitionCount(t.name); // throws SKEIN_UNKNOWN_TOPIC_OR_PARTITION
  if (!Number.isInteger(t.count) || t.count <= current) {
    throw new SkeinError('SKEIN_INVALID_PARTITIONS', `topic ${t.name} has ${current} partitions; the new count must be above that, got ${t.count}`, { topic: t.name });
  }
}
