/**
 * AlterConfigs (key 33, v0–2): replaces a topic's configs with the given set (entries not
 * listed return to their defaults: that is AlterConfigs, as opposed to the incremental API),
 * through `broker.alterConfigs`, honouring validateOnly. Broker configs are static here.
 */
import { SkeinError } from '../../errors.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeAlterConfigsRequest,
  encodeAlterConfigsResponse,
  type AlterConfigsRequest,
  type AlterConfigsResponse,
} from '../messages/alter-configs.js';
import { RESOURCE_TYPE } from './config-source.js';
import { defineHandler, errorMessageOf } from './handler.js';

export const alterConfigsHandler = defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeAlterConfigsRequest,
  encode: encodeAlterConfigsResponse,
  async handle(request, ctx) {
    const responses = [];
    // One at a time: the broker serialises metadata changes anyway, and order is then the request's.
    for (const r of request.resources) {
      try {
        if (r.resourceType !== RESOURCE_TYPE.TOPIC) {
          throw new SkeinError('SKEIN_INVALID_REQUEST', `only topic configs (resource type 2) can be altered, got type ${r.resourceType}`);
        }
        await ctx.broker.alterConfigs(r.resourceName, r.configs, { incremental: false, validateOnly: request.validateOnly });
        responses.push({ errorCode: KAFKA_ERRORS.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
      } catch (error) {
        responses.push({ errorCode: toKafkaErrorCode(error), errorMessage: errorMessageOf(error), resourceType: r.resourceType, resourceName: r.resourceName });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, _ctx, error) {
    return {
      throttleTimeMs: 0,
      responses: request.resources.map((r) => ({ errorCode, errorMessage: errorMessageOf(error), resourceType: r.resourceType, resourceName: r.resourceName })),
    };
  },
});
