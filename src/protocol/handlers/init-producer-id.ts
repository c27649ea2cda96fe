/**
 * InitProducerId (key 22, v0–4): a fresh producer id with epoch 0 for an idempotent
 * producer. Transactions do not exist yet, so a transactionalId is refused (INVALID_REQUEST,
 * not retriable: the client stops instead of retrying forever). v3+ lets a producer ask to
 * bump the epoch of its own id after an error; it gets a fresh id instead, which resets its
 * sequences just as well. v0 must stay served: librdkafka 2.0.2 enables idempotence only if
 * it is.
 */
import { SkeinError } from '../../errors.js';
import { KAFKA_ERRORS } from '../error-codes.js';
import {
  decodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from '../messages/init-producer-id.js';
import { defineHandler } from './handler.js';

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 4,
  decode: decodeInitProducerIdRequest,
  encode: encodeInitProducerIdResponse,
  async handle(request, ctx) {
    if (request.transactionalId !== null) {
      throw new SkeinError('SKEIN_INVALID_REQUEST', 'transactional producers are not supported', { transactionalId: request.transactionalId });
    }
    const { producerId, producerEpoch } = await ctx.broker.initProducerId();
    return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.NONE, producerId, producerEpoch };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
  },
});
