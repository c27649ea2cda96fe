/**
 * Kafka's record compression codecs behind two calls: `compress(codec, bytes)` and
 * `decompress(codec, bytes, { maxBytes })`. A codec is named by its Kafka id (attributes bits
 * 0-2 of a RecordBatch) or by its name: 1 gzip (node:zlib), 2 snappy (npm snappy, raw and
 * xerial-framed), 3 lz4 (npm lz4-napi, frame format), 4 zstd (npm zstd-napi). Choices and
 * measurements: docs/compression.md.
 *
 * Owns: dispatch and argument checks. Each codec's file owns its format and its cap.
 * Synchronous: the caller decides whether work this size belongs on a worker thread. Knows
 * nothing of batches (validate-compressed-batch.ts and the record decoders use this), files
 * or sockets.
 *
 * Errors: SKEIN_CORRUPT_MESSAGE (does not decompress), SKEIN_MESSAGE_TOO_LARGE (output
 * would pass maxBytes; refused before inflating past it), SKEIN_UNSUPPORTED_COMPRESSION (an
 * id Kafka does not define), SKEIN_INVALID_ARGUMENT (not bytes; 'none' or 0 for compress).
 */
import { SkeinError } from '../../errors.js';
import { COMPRESSION_NAMES, type CompressionName } from '../batch-header.js';
import { unsupportedCodec } from './errors.js';
import { gzipCompress, gzipDecompress } from './gzip.js';
import { lz4Compress, lz4Decompress } from './lz4.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
import { zstdCompress, zstdDecompress } from './zstd.js';

export { compressSnappyXerial } from './snappy.js';

/** The codecs that compress: Kafka ids 1-4. */
export type CompressedCodecId = 1 | 2 | 3 | 4;

export interface DecompressOptions {
  /** Refuse (SKEIN_MESSAGE_TOO_LARGE) output larger than this many bytes. Default: no cap. */
  maxBytes?: number;
}

interface Codec {
  name: CompressionName;
  compress(data: Uint8Array): Buffer;
  decompress(data: Uint8Array, maxBytes: number): Buffer;
}

const CODECS: Array<Codec | undefined> = [
  undefined,
  { name: 'gzip', compress: gzipCompress, decompress: gzipDecompress },
  { name: 'snappy', compress: snappyCompress, decompress: snappyDecompress },
  { name: 'lz4', compress: lz4Compress, decompress: lz4Decompress },
  { name: 'zstd', compress: zstdCompress, decompress: zstdDecompress },
];

/** The Kafka id of a codec given by id or name; throws for anything else. */
export function codecId(codec: number | string): number {
  if (typeof codec === 'number' && Number.isInteger(codec) && codec >= 0 && codec <= 7) return codec;
  if (typeof codec === 'string') {
    const id = (COMPRESSION_NAMES as readonly string[]).indexOf(codec.toLowerCase());
    if (id >= 0) return id;
  }
  throw new SkeinError('SKEIN_INVALID_ARGUMENT', `compression must be one of none, gzip, snappy, lz4, zstd (or 0-4), got ${JSON.stringify(codec)}`, {
    option: 'compression',
  });
}

function codecOf(codec: number | string): Codec {
  const id = codecId(codec);
  if (id === 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'codec none has nothing to compress or decompress');
  const found = CODECS[id];
  if (found === undefined) throw unsupportedCodec(id);
  return found;
}

function checkBytes(data: unknown): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `compression works on a Buffer or Uint8Array, got ${data === null ? 'null' : typeof data}`);
  }
}

/** Compresses `data` with the codec (id 1-4 or its name) in the shape Kafka clients read. */
export function compress(codec: number | string, data: Uint8Array): Buffer {
  const found = codecOf(codec);
  checkBytes(data);
  return found.compress(data);
}

/** Decompresses `data` written by any Kafka client with the codec (id 1-4 or its name). */
export function decompress(codec: number | string, data: Uint8Array, options: DecompressOptions = {}): Buffer {
  const found = codecOf(codec);
  checkBytes(data);
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  if (typeof maxBytes !== 'number' || !(maxBytes >= 0)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `options.maxBytes must be a number >= 0, got ${String(maxBytes)}`, { option: 'maxBytes' });
  }
  return found.decompress(data, maxBytes);
}

/** True for the ids this build can decompress (1-4). */
export function isSupportedCodec(id: number): id is CompressedCodecId {
  return CODECS[id] !== undefined;
}
