/**
 * The fixed 61-byte header of a RecordBatch v2 (magic 2): where each field sits, what the
 * attribute bits mean, and fast accessors that read or patch one field in place.
 *
 * Owns: byte positions, attribute masks, the compression codec ids, big-endian integer
 * access. Knows nothing of files, topics or sockets, and nothing of the records that
 * follow the header (see decode-record-batch.ts). No state; safe on any thread.
 *
 * Accessors take `(buf, pos)` where `pos` is the position of the batch's first byte in
 * `buf`, so they work on a single batch, a log segment mapping or a Fetch response alike.
 * They do NOT check bounds: the caller guarantees `pos + HEADER_SIZE <= buf.length`
 * (out-of-range reads of a Uint8Array yield undefined, i.e. silent garbage).
 *
 * int64 fields are read as `hi · 2^32 + lo` into a JS number, exact while the value lies
 * within ±2^53 (offsets, timestamps and producer ids in practice). No BigInt: these are
 * read on every batch of every fetch and append.
 *
 *  Pos  Field                 Type    Notes
 *  ---  --------------------  ------  ---------------------------------------------------------
 *    0  baseOffset            int64   producers send 0; the broker assigns it (outside the CRC)
 *    8  batchLength           int32   bytes after this field: batch size = 12 + batchLength
 *   12  partitionLeaderEpoch  int32   set by the broker (outside the CRC)
 *   16  magic                 int8    2 (legacy formats keep magic at 16 too, so it can be peeked)
 *   17  crc                   uint32  CRC-32C (Castagnoli) of bytes 21 .. end of batch
 *   21  attributes            int16   see the masks below
 *   23  lastOffsetDelta       int32   recordsCount - 1 for a fresh batch
 *   27  baseTimestamp         int64   first record's timestamp (ms); records store deltas from it
 *   35  maxTimestamp          int64   largest record timestamp, or broker time under LogAppendTime
 *   43  producerId            int64   -1 when not idempotent
 *   51  producerEpoch         int16   -1 when not idempotent
 *   53  baseSequence          int32   -1 when not idempotent
 *   57  recordsCount          int32   number of records (not compressed even when records are)
 *   61  records               ...     HEADER_SIZE = 61
 */

/** Byte position of `baseOffset` (int64) within a batch. */
export const BASE_OFFSET = 0;
/** Byte position of `batchLength` (int32). */
export const BATCH_LENGTH = 8;
/** Byte position of `partitionLeaderEpoch` (int32). */
export const PARTITION_LEADER_EPOCH = 12;
/** Byte position of `magic` (int8). */
export const MAGIC = 16;
/** Byte position of `crc` (uint32). */
export const CRC = 17;
/** Byte position of `attributes` (int16); also where the CRC-covered bytes start. */
export const ATTRIBUTES = 21;
/** Byte position of `lastOffsetDelta` (int32). */
export const LAST_OFFSET_DELTA = 23;
/** Byte position of `baseTimestamp` (int64). */
export const BASE_TIMESTAMP = 27;
/** Byte position of `maxTimestamp` (int64). */
export const MAX_TIMESTAMP = 35;
/** Byte position of `producerId` (int64). */
export const PRODUCER_ID = 43;
/** Byte position of `producerEpoch` (int16). */
export const PRODUCER_EPOCH = 51;
/** Byte position of `baseSequence` (int32). */
export const BASE_SEQUENCE = 53;
/** Byte position of `recordsCount` (int32). */
export const RECORDS_COUNT = 57;
/** Byte position of the first record. */
export const RECORDS = 61;
/** Size of the fixed header: everything before the records. */
export const HEADER_SIZE = 61;
/** baseOffset + batchLength: the framing every log entry (any magic) starts with. */
export const LOG_OVERHEAD = 12;
/** The CRC covers bytes CRC_START .. end of batch, i.e. everything after the crc field. */
export const CRC_START = ATTRIBUTES;
/** Smallest valid batchLength: a header with no records (61 - 12). */
export const MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD;
/** The only message format this codec reads and writes. */
export const CURRENT_MAGIC = 2;

/** attributes bits 0-2: the compression codec of the records section. */
export const COMPRESSION_CODEC_MASK = 0x07;
/** attributes bit 3: 0 = CreateTime (producer's clock), 1 = LogAppendTime (broker's clock). */
export const TIMESTAMP_TYPE_MASK = 0x08;
/** attributes bit 4: the batch belongs to a transaction. */
export const TRANSACTIONAL_FLAG_MASK = 0x10;
/** attributes bit 5: a control batch (transaction COMMIT/ABORT marker), never handed to applications. */
export const CONTROL_FLAG_MASK = 0x20;
/** attributes bit 6: set by compaction; baseTimestamp then holds the delete horizon. */
export const DELETE_HORIZON_FLAG_MASK = 0x40;

/** Compression codec ids as stored in attributes bits 0-2. */
export const CompressionCodec = {
  NONE: 0,
  GZIP: 1,
  SNAPPY: 2,
  LZ4: 3,
  ZSTD: 4,
} as const;
export type CompressionCodecId = (typeof CompressionCodec)[keyof typeof CompressionCodec];

/** The codec names used in options and decoded batches, indexed by codec id. */
export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof COMPRESSION_NAMES)[number];

export type TimestampType = 'create' | 'log-append';

// ---------------------------------------------------------------------------------------
// Big-endian integers over a Uint8Array (no DataView, no Buffer required).

export function readInt16BE(buf: Uint8Array, pos: number): number {
  return ((buf[pos] << 24) | (buf[pos + 1] << 16)) >> 16;
}

export function readInt32BE(buf: Uint8Array, pos: number): number {
  return (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
}

export function readUInt32BE(buf: Uint8Array, pos: number): number {
  return readInt32BE(buf, pos) >>> 0;
}

/** Exact while the stored value lies within ±2^53. */
export function readInt64BE(buf: Uint8Array, pos: number): number {
  return readInt32BE(buf, pos) * 4294967296 + readUInt32BE(buf, pos + 4);
}

export function writeInt16BE(buf: Uint8Array, pos: number, value: number): void {
  buf[pos] = value >> 8;
  buf[pos + 1] = value;
}

export function writeInt32BE(buf: Uint8Array, pos: number, value: number): void {
  buf[pos] = value >>> 24;
  buf[pos + 1] = value >>> 16;
  buf[pos + 2] = value >>> 8;
  buf[pos + 3] = value;
}

/** `value` must be a safe integer (negative values are written in two's complement). */
export function writeInt64BE(buf: Uint8Array, pos: number, value: number): void {
  const hi = Math.floor(value / 4294967296);
  writeInt32BE(buf, pos, hi);
  writeInt32BE(buf, pos + 4, value - hi * 4294967296);
}

// ---------------------------------------------------------------------------------------
// Field accessors. `pos` is the position of the batch in `buf`.

export function readBaseOffset(buf: Uint8Array, pos: number): number {
  return readInt64BE(buf, pos + BASE_OFFSET);
}

/** Patches baseOffset in place. It lies outside the CRC, so the batch stays valid. */
export function writeBaseOffset(buf: Uint8Array, pos: number, offset: number): void {
  writeInt64BE(buf, pos + BASE_OFFSET, offset);
}

export function readBatchLength(buf: Uint8Array, pos: number): number {
  return readInt32BE(buf, pos + BATCH_LENGTH);
}

/** Whole size of the batch in bytes: LOG_OVERHEAD + batchLength. */
export function batchSize(buf: Uint8Array, pos: number): number {
  return LOG_OVERHEAD + readInt32BE(buf, pos + BATCH_LENGTH);
}

export function readPartitionLeaderEpoch(buf: Uint8Array, pos: number): number {
  return readInt32BE(buf, pos + PARTITION_LEADER_EPOCH);
}

/** Patches partitionLeaderEpoch in place. It lies outside the CRC, so the batch stays valid. */
export function writePartitionLeaderEpoch(buf: Uint8Array, pos: number, epoch: number): void {
  writeInt32BE(buf, pos + PARTITION_LEADER_EPOCH, epoch);
}

export function readMagic(buf: Uint8Array, pos: number): number {
  return (buf[pos + MAGIC] << 24) >> 24;
}

/** The stored CRC-32C as an unsigned 32-bit number. */
export function readCrc(buf: Uint8Array, pos: number): number {
  return readUInt32BE(buf, pos + CRC);
}

export function readAttributes(buf: Uint8Array, pos: number): number {
  return readInt16BE(buf, pos + ATTRIBUTES);
}

export function readLastOffsetDelta(buf: Uint8Array, pos: number): number {
  return readInt32BE(buf, pos + LAST_OFFSET_DELTA);
}

/** baseOffset + lastOffsetDelta: the offset of the batch's last record. */
export function readLastOffset(buf: Uint8Array, pos: number): number {
  return readInt64BE(buf, pos + BASE_OFFSET) + readInt32BE(buf, pos + LAST_OFFSET_DELTA);
}

export function readBaseTimestamp(buf: Uint8Array, pos: number): number {
  return readInt64BE(buf, pos + BASE_TIMESTAMP);
}

export function readMaxTimestamp(buf: Uint8Array, pos: number): number {
  return readInt64BE(buf, pos + MAX_TIMESTAMP);
}

export function readProducerId(buf: Uint8Array, pos: number): number {
  return readInt64BE(buf, pos + PRODUCER_ID);
}

export function readProducerEpoch(buf: Uint8Array, pos: number): number {
  return readInt16BE(buf, pos + PRODUCER_EPOCH);
}

export function readBaseSequence(buf: Uint8Array, pos: number): number {
  return readInt32BE(buf, pos + BASE_SEQUENCE);
}

export function readRecordsCount(buf: Uint8Array, pos: number): number {
  return readInt32BE(buf, pos + RECORDS_COUNT);
}

// ---------------------------------------------------------------------------------------
// Attribute bits.

/** The codec id (0-7; only 0-4 are defined) in `attributes`. */
export function compressionCodecOf(attributes: number): number {
  return attributes & COMPRESSION_CODEC_MASK;
}

export function timestampTypeOf(attributes: number): TimestampType {
  return (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 'log-append' : 'create';
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_FLAG_MASK) !== 0;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & CONTROL_FLAG_MASK) !== 0;
}
