/**
 * The three ways a codec can refuse bytes, as SkeinErrors with stable codes, so every codec
 * reports the same failure the same way.
 *
 * Owns: nothing but the error constructors. Knows nothing of batches, files or sockets.
 *   bytes that do not decompress ............ SKEIN_CORRUPT_MESSAGE (Kafka: CORRUPT_MESSAGE)
 *   output would pass the caller's cap ....... SKEIN_MESSAGE_TOO_LARGE (Kafka: MESSAGE_TOO_LARGE)
 *   a codec id Kafka does not define (5-7) ... SKEIN_UNSUPPORTED_COMPRESSION
 *                                              (Kafka: UNSUPPORTED_COMPRESSION_TYPE)
 */
import { SkeinError } from '../../errors.js';

export function corruptCompressed(codec: string, message: string, cause?: unknown): SkeinError {
  return new SkeinError('SKEIN_CORRUPT_MESSAGE', `${codec}: ${message}`, { codec, cause });
}

export function decompressedTooLarge(codec: string, limit: number, atLeast: number): SkeinError {
  return new SkeinError(
    'SKEIN_MESSAGE_TOO_LARGE',
    `${codec}: the records decompress to more than ${limit} bytes (at least ${atLeast}); refused before inflating further`,
    { codec, maxBytes: limit, decompressedBytes: atLeast },
  );
}

export function unsupportedCodec(id: unknown): SkeinError {
  return new SkeinError('SKEIN_UNSUPPORTED_COMPRESSION', `compression codec id ${String(id)} is not defined by Kafka (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)`, {
    codec: id,
  });
}
