/**
 * Kafka's `uuid` type (topic ids, fetch session ids in newer versions): 16 raw bytes on
 * the wire, shown as Kafka shows them (Java Uuid.toString): URL-safe base64 without
 * padding, 22 characters. All zeros is Uuid.ZERO_UUID, "no id".
 */
import { unencodable } from './malformed.js';

/** The all-zero uuid, Kafka's "none" (AAAAAAAAAAAAAAAAAAAAAA). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const UUID_PATTERN = /^[A-Za-z0-9_-]{21}[AQgw]$/; // 128 bits = 21 chars of 6 bits + 2 bits: the last char's low 4 bits are 0

/** The 16 bytes of a uuid string; throws SKEIN_INVALID_ARGUMENT if it is not one. */
export function uuidToBytes(uuid: string): Buffer {
  if (!UUID_PATTERN.test(uuid)) throw unencodable(`${JSON.stringify(uuid)} is not a 22-character base64url uuid`);
  return Buffer.from(uuid, 'base64url');
}

/** The string form of 16 bytes at `pos` of `buf`. */
export function uuidFromBytes(buf: Buffer, pos: number): string {
  return buf.toString('base64url', pos, pos + 16);
}
