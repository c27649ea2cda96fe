/**
 * kafkajs's CompressionTypes for the embedded producer: the same names and numbers (None 0,
 * GZIP 1, Snappy 2, LZ4 3, ZSTD 4), so code written for kafkajs passes its constants
 * unchanged. Lower-case codec names ('gzip', ...) are accepted as well.
 *
 * Owns: the constants and turning an option into a codec name. No state.
 */
import { SkeinError } from '../errors.js';
import { COMPRESSION_NAMES, type CompressionName } from '../records/batch-header.js';

export const CompressionTypes = {
  None: 0,
  GZIP: 1,
  Snappy: 2,
  LZ4: 3,
  ZSTD: 4,
} as const;

/** A CompressionTypes number (0-4) or a codec name. */
export type CompressionOption = (typeof CompressionTypes)[keyof typeof CompressionTypes] | CompressionName;

/** The codec name of a `compression` option; undefined stays undefined (the caller's default). */
export function compressionNameOf(option: unknown, where: string): CompressionName | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'number' && Number.isInteger(option) && option >= 0 && option < COMPRESSION_NAMES.length) {
    return COMPRESSION_NAMES[option];
  }
  if (typeof option === 'string') {
    const name = option.toLowerCase();
    if ((COMPRESSION_NAMES as readonly string[]).includes(name)) return name as CompressionName;
  }
  throw new SkeinError(
    'SKEIN_INVALID_ARGUMENT',
    `${where} must be a CompressionTypes value (None 0, GZIP 1, Snappy 2, LZ4 3, ZSTD 4) or a codec name, got ${JSON.stringify(option)}`,
    { option: 'compression' },
  );
}
