/**
 * The response header, which precedes every response body (KAFKA-PROTOCOL.md §1.2;
 * ResponseHeader.json):
 *
 *   Response Header v0 => correlation_id INT32
 *   Response Header v1 => correlation_id INT32 TAG_BUFFER
 *
 * v1 when the response's API version is flexible, v0 otherwise, except ApiVersions,
 * whose responses always use v0: a client that sent an ApiVersions version the broker
 * does not know must still be able to read the answer (KIP-511), so it cannot depend on
 * the version. Skein writes only empty tag buffers (librdkafka < 2.2 mis-skips others).
 *
 * Owns: the header's wire form. No state.
 */
import { isFlexibleVersion } from './api-keys.js';
import type { Reader } from './codec/reader.js';
import type { Writer } from './codec/writer.js';

const API_VERSIONS_KEY = 18;

export type ResponseHeaderVersion = 0 | 1;

/** The response header version of a response to this API version. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): ResponseHeaderVersion {
  if (apiKey === API_VERSIONS_KEY) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 1 : 0;
}

export function encodeResponseHeader(w: Writer, headerVersion: ResponseHeaderVersion, correlationId: number): void {
  w.writeInt32(correlationId);
  if (headerVersion === 1) w.writeEmptyTaggedFields();
}

/** Reads a response header (a client's side), leaving the reader at the body; returns the correlation id. */
export function decodeResponseHeader(r: Reader, headerVersion: ResponseHeaderVersion): number {
  const correlationId = r.readInt32();
  if (headerVersion === 1) r.skipTaggedFields();
  return correlationId;
}
