/**
 * The router: request (apiKey, apiVersion) → the handler that serves it, and the one
 * answer Kafka gives without a handler.
 *
 * Kafka's rules (KAFKA-PROTOCOL.md §1.4): an ApiVersions request of a version the broker
 * does not serve is answered anyway, with a v0-format body (error UNSUPPORTED_VERSION and
 * ApiVersions' own range), because the client needs that answer to pick a version it can
 * use: kafkajs then retries lower, librdkafka reads our maximum from it. Any other unknown
 * key or version closes the connection, as the Java broker does; a client only sends what
 * ApiVersions advertised, so this is a broken or hostile peer.
 *
 * Owns: the table and the advertised list derived from it (what ApiVersions sends is what
 * is routed, nothing else). Stateless after construction; one per server.
 */
import { SkeinError } from '../../errors.js';
import { KAFKA_ERRORS } from '../error-codes.js';
import { encodeFrame } from '../framing.js';
import { encodeApiVersionsResponse } from '../messages/api-versions.js';
import { encodeResponseHeader } from '../response-header.js';
import type { ApiHandler, ServedApi } from '../handlers/handler.js';
import { HANDLERS } from '../handlers/index.js';

const API_VERSIONS_KEY = 18;

export type Route =
  | { kind: 'handler'; handler: ApiHandler<any, any> }
  /** ApiVersions at a version we do not serve: answer with `unsupportedApiVersions`. */
  | { kind: 'unsupported-api-versions' }
  /** Anything else we do not serve: close the connection. */
  | { kind: 'close'; reason: string };

export class Router {
  /** What ApiVersions advertises, by ascending key. */
  readonly servedApis: readonly ServedApi[];
  private readonly byKey = new Map<number, ApiHandler<any, any>>();

  constructor(handlers: readonly ApiHandler<any, any>[] = HANDLERS) {
    for (const handler of handlers) {
      if (this.byKey.has(handler.apiKey)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `two handlers for API key ${handler.apiKey}`);
      this.byKey.set(handler.apiKey, handler);
    }
    this.servedApis = [...this.byKey.values()]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => Object.freeze({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  }

  route(apiKey: number, apiVersion: number): Route {
    const handler = this.byKey.get(apiKey);
    if (handler && apiVersion >= handler.minVersion && apiVersion <= handler.maxVersion) return { kind: 'handler', handler };
    if (apiKey === API_VERSIONS_KEY && handler) return { kind: 'unsupported-api-versions' };
    return {
      kind: 'close',
      reason: handler ? `${handler.name} v${apiVersion} is not served (v${handler.minVersion}-${handler.maxVersion})` : `API key ${apiKey} is not served`,
    };
  }

  /** The frame answering an ApiVersions request of an unserved version: header v0, v0 body. */
  unsupportedApiVersions(correlationId: number): Buffer[] {
    const own = this.byKey.get(API_VERSIONS_KEY)!;
    return encodeFrame((w) => {
      encodeResponseHeader(w, 0, correlationId);
      encodeApiVersionsResponse(w, 0, {
        errorCode: KAFKA_ERRORS.UNSUPPORTED_VERSION,
        apiKeys: [{ apiKey: API_VERSIONS_KEY, minVersion: own.minVersion, maxVersion: own.maxVersion }],
      });
    }, 64);
  }
}
