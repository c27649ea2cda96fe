/**
 * The request header, which precedes every request body (KAFKA-PROTOCOL.md §1.2;
 * RequestHeader.json):
 *
 *   Request Header v0 => request_api_key INT16 request_api_version INT16 correlation_id INT32
 *   Request Header v1 => request_api_key INT16 request_api_version INT16 correlation_id INT32
 *                        client_id NULLABLE_STRING
 *   Request Header v2 => request_api_key INT16 request_api_version INT16 correlation_id INT32
 *                        client_id NULLABLE_STRING TAG_BUFFER
 *
 * Which version a request uses follows from its API and version, so a parser reads the
 * key and version first: v2 when that API version is flexible, v1 otherwise, v0 only for
 * ControlledShutdown v0. The client id keeps its classic int16 length even in v2 (the
 * spec's field-level "flexibleVersions": "none"); null means the client sent none.
 * ApiVersions requests of versions above ours are flexible too (api-keys.ts), so an
 * ApiVersions v5 header still parses and the server can answer with its version list.
 * APIs Skein has no codecs for are parsed as v1: the server closes those connections and
 * only needs the key, version and correlation id to log.
 *
 * Owns: the header's wire form. No state; one call per frame.
 */
import { isFlexibleVersion } from './api-keys.js';
import type { Reader } from './codec/reader.js';
import type { Writer } from './codec/writer.js';

/** ControlledShutdown: its v0 alone uses request header v0. */
const CONTROLLED_SHUTDOWN_KEY = 7;

export type RequestHeaderVersion = 0 | 1 | 2;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** null when the client sent none (header v0, or a null string). */
  clientId: string | null;
}

export interface DecodedRequestHeader extends RequestHeader {
  /** The header version the request used (0, 1 or 2). */
  headerVersion: RequestHeaderVersion;
}

/** The request header version a request of this API version carries. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): RequestHeaderVersion {
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 2 : 1;
}

/**
 * Reads the header at the reader's position (the start of a frame's payload) and leaves
 * the reader at the body. Malformed bytes throw SKEIN_INVALID_REQUEST.
 */
export function decodeRequestHeader(r: Reader): DecodedRequestHeader {
  const apiKey = r.readInt16();
  const apiVersion = r.readInt16();
  const correlationId = r.readInt32();
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const clientId = headerVersion >= 1 ? r.readNullableString() : null;
  if (headerVersion === 2) r.skipTaggedFields(); // RequestHeader.json defines no tagged fields
  return { apiKey, apiVersion, correlationId, clientId, headerVersion };
}

/** Writes the header a request of `header.apiKey` / `header.apiVersion` needs. */
export function encodeRequestHeader(w: Writer, header: RequestHeader): void {
  const headerVersion = requestHeaderVersion(header.apiKey, header.apiVersion);
  w.writeInt16(header.apiKey);
  w.writeInt16(header.apiVersion);
  w.writeInt32(header.correlationId);
  if (headerVersion >= 1) w.writeNullableString(header.clientId);
  if (headerVersion === 2) w.writeEmptyTaggedFields();
}
