/**
 * CRC-32C (Castagnoli), as Kafka's RecordBatch v2 uses it, computed by the addon with the
 * CPU's crc32 instructions where present (SSE4.2, ARMv8) and a table elsewhere.
 */
import { SkeinError } from '../errors.js';
import { native } from './binding.js';

/** CRC-32C of `data`; pass a previous result as `initial` to continue over more bytes. */
export function crc32c(data: Uint8Array | string, initial = 0): number {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  if (!(bytes instanceof Uint8Array)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'crc32c takes a Buffer, Uint8Array or string');
  }
  if (!Number.isInteger(initial) || initial < 0 || initial > 0xffffffff) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `crc32c initial must be a uint32, got ${String(initial)}`);
  }
  return native.crc32c(bytes, initial);
}
