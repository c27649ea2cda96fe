/**
 * ApiVersions (key 18): the versions of every API this server serves, from the router's
 * handler table (RequestContext.servedApis), so what is advertised is exactly what is
 * routed. Versions 0–3; v3 is flexible but, as in Kafka, its response header is v0.
 *
 * An ApiVersions request of a version above 3 never reaches this handler: the router answers
 * it with a v0 body carrying UNSUPPORTED_VERSION (see ../server/router.ts). No tagged fields
 * are written (no SupportedFeatures): librdkafka < 2.2 mis-skips non-empty tag sections.
 */
import { KAFKA_ERRORS } from '../error-codes.js';
import { decodeApiVersionsRequest, encodeApiVersionsResponse, type ApiVersionsRequest, type ApiVersionsResponse } from '../messages/api-versions.js';
import { defineHandler } from './handler.js';

export const apiVersionsHandler = defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  decode: decodeApiVersionsRequest,
  encode: encodeApiVersionsResponse,
  handle(_request, ctx) {
    return { errorCode: KAFKA_ERRORS.NONE, apiKeys: ctx.servedApis.map((api) => ({ ...api })), throttleTimeMs: 0 };
  },
  errorResponse(_request, errorCode, ctx) {
    return { errorCode, apiKeys: ctx.servedApis.map((api) => ({ ...api })), throttleTimeMs: 0 };
  },
});
