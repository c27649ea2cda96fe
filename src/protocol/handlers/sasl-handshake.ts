/**
 * SaslHandshake (key 17, v0–1): the client names a mechanism; the connection's SaslSession
 * (../server/sasl.ts) accepts PLAIN when the server has users configured, and answers
 * UNSUPPORTED_SASL_MECHANISM with the enabled list otherwise (an empty list on a server
 * without SASL, so a client configured for SASL fails clearly instead of hanging). v0 means
 * the token then travels as a bare frame, v1 as a SaslAuthenticate request. Served from v0
 * because librdkafka 2.0.2 only sends a handshake at all when 0 is in range.
 */
import { decodeSaslHandshakeRequest, encodeSaslHandshakeResponse, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../messages/sasl-handshake.js';
import { defineHandler } from './handler.js';

export const saslHandshakeHandler = defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  decode: decodeSaslHandshakeRequest,
  encode: encodeSaslHandshakeResponse,
  handle(request, ctx) {
    return ctx.sasl.handshake(request.mechanism, ctx.apiVersion);
  },
  errorResponse(_request, errorCode) {
    return { errorCode, mechanisms: [] };
  },
});
