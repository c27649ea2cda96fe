/**
 * SaslAuthenticate (key 36, v0–2): carries the SASL token after a v1 handshake. The
 * connection's SaslSession checks it; success answers with an empty token and no session
 * lifetime (0: the login holds for the connection's life). A failure answers
 * SASL_AUTHENTICATION_FAILED with a message and then closes the connection, as Kafka does; so
 * does a SaslAuthenticate without a v1 handshake before it (ILLEGAL_SASL_STATE).
 */
import { KAFKA_ERRORS } from '../error-codes.js';
import {
  decodeSaslAuthenticateRequest,
  encodeSaslAuthenticateResponse,
  type SaslAuthenticateRequest,
  type SaslAuthenticateResponse,
} from '../messages/sasl-authenticate.js';
import { defineHandler } from './handler.js';

const EMPTY = Buffer.alloc(0);

export const saslAuthenticateHandler = defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeSaslAuthenticateRequest,
  encode: encodeSaslAuthenticateResponse,
  handle(request, ctx) {
    if (!ctx.sasl.expectsAuthenticate) {
      ctx.closeConnection('SaslAuthenticate without a SaslHandshake v1 before it');
      return { errorCode: KAFKA_ERRORS.ILLEGAL_SASL_STATE, errorMessage: 'no SASL handshake in progress', authBytes: EMPTY, sessionLifetimeMs: 0 };
    }
    const result = ctx.sasl.authenticate(request.authBytes);
    if (!result.ok) {
      ctx.closeConnection('SASL authentication failed');
      return { errorCode: KAFKA_ERRORS.SASL_AUTHENTICATION_FAILED, errorMessage: result.message, authBytes: EMPTY, sessionLifetimeMs: 0 };
    }
    return { errorCode: KAFKA_ERRORS.NONE, errorMessage: null, authBytes: EMPTY, sessionLifetimeMs: 0 };
  },
  errorResponse(_request, errorCode) {
    return { errorCode, errorMessage: null, authBytes: EMPTY, sessionLifetimeMs: 0 };
  },
});
