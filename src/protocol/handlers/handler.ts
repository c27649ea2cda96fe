/**
 * What a Kafka API handler is: the versions it serves, the codecs it uses and the one
 * function that turns a decoded request into a response by calling the broker.
 *
 * Owns: the handler contract and the request context. Each file of this folder defines one
 * handler with `defineHandler` (one API per file, as Redpanda's kafka/server/handlers). The
 * connection (../server/connection.ts) decodes, calls `handle`, and encodes, in that order;
 * it never looks inside a request. Handlers never touch sockets or files: they see the
 * broker and this context only.
 *
 * Errors: a handler may throw or reject with anything; the connection then answers with
 * `errorResponse(request, code)`, the API's own response shape with that Kafka error code in
 * every place the API has one. So an exception never becomes a crash nor a silent drop.
 * Kafka numbers come from error-codes.ts (`toKafkaErrorCode`, the one SkeinError table).
 */
import type { Broker } from '../../broker/broker.js';
import type { SaslSession } from '../server/sasl.js';
import type { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';

/** Returned by `handle` when no response goes back at all (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('skein.protocol.noResponse');
export type NoResponse = typeof NO_RESPONSE;

/** An API key with the versions this server serves, as ApiVersions lists them. */
export interface ServedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** Everything a handler may know about the request besides its body. One per request. */
export interface RequestContext {
  readonly broker: Broker;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** The request header's client id ('' when null). */
  readonly clientId: string;
  /** The peer's address, for DescribeGroups. */
  readonly clientHost: string;
  /** Aborted when the connection closes or the server stops: long polls end early. */
  readonly signal: AbortSignal;
  /** The cluster id Metadata reports. */
  readonly clusterId: string;
  /** What ApiVersions advertises: every handler of the router with its served versions. */
  readonly servedApis: readonly ServedApi[];
  /** The connection's SASL authentication (SaslHandshake and SaslAuthenticate drive it). */
  readonly sasl: SaslSession;
  /** Closes this request's connection once the responses owed are written (a failed acks=0 Produce, a failed login). */
  readonly closeConnection: (reason: string) => void;
}

export interface ApiHandler<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  readonly name: string;
  /** Lowest version served (and advertised). */
  readonly minVersion: number;
  /** Highest version served (and advertised). */
  readonly maxVersion: number;
  decode(r: Reader, version: number): Req;
  encode(w: Writer, version: number, response: Res): void;
  /** The response (or NO_RESPONSE); synchronous when the broker answers at once, to spare a promise. */
  handle(request: Req, ctx: RequestContext): Res | NoResponse | Promise<Res | NoResponse>;
  /** The API's response carrying `errorCode` everywhere it has one; must not throw for a decoded request. */
  errorResponse(request: Req, errorCode: number, ctx: RequestContext, error: unknown): Res;
}

/** Identity with types: lets each handler file infer Req and Res from its codecs. */
export function defineHandler<Req, Res>(handler: ApiHandler<Req, Res>): ApiHandler<Req, Res> {
  return handler;
}

/** Kafka's "authorized operations not requested" value (INT32_MIN), for Metadata and DescribeGroups. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** The message of an error for the optional errorMessage fields. */
export function errorMessageOf(error: unknown): string | null {
  if (error instanceof Error) return error.message.slice(0, 1000);
  return error === undefined || error === null ? null : String(error).slice(0, 1000);
}
