/**
 * SaslHandshake (key 17, v0–1): no SASL mechanism is enabled yet, so every handshake is
 * answered UNSUPPORTED_SASL_MECHANISM with an empty list; a client configured for SASL then
 * fails clearly instead of hanging. Served (not just absent) because librdkafka 2.0.2 only
 * sends a handshake at all when 0 is in range. SaslAuthenticate is not advertised.
 */
import { KAFKA_ERRORS } from '../error-codes.js';
import { decodeSaslHandshakeRequest, encodeSaslHandshakeResponse, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../messages/sasl-handshake.js';
import { defineHandler } from './handler.js';

export const saslHandshakeHandler = defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  decode: decodeSaslHandshakeRequest,
  encode: encodeSaslHandshakeResponse,
  handle() {
    return { errorCode: KAFKA_ERRORS.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] };
  },
  errorResponse(_request, errorCode) {
    return { errorCode, mechanisms: [] };
  },
});
