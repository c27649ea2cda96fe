/**
 * The public surface of Skein. Every export is named here on purpose (no `export *`), and
 * test/index.test.ts pins the list, so widening the API is a deliberate decision.
 */
export { Skein } from './client/skein.js';
export type { SkeinOptions, SkeinClusterOptions } from './client/skein.js';
export type { Producer, ProducerOptions, ProducerRecord, ProducerBatch, Message, RecordMetadata } from './client/producer.js';
export type {
  Consumer,
  ConsumerOptions,
  RunOptions,
  EachMessagePayload,
  EachBatchPayload,
  Batch,
  BatchRecords,
  KafkaMessage,
  ConsumerHealth,
  ConsumerStatus,
} from './client/consumer.js';
export type { Admin, GroupView, PartitionLag } from './client/admin.js';
export type { BrokerOptions } from './broker/broker.js';
export { CompressionTypes } from './client/compression-types.js';
export type { CompressionOption } from './client/compression-types.js';
export { murmur2 } from './client/murmur2.js';
export { PartitionLog } from './storage/partition-log.js';
export type {
  PartitionLogOptions,
  AppendResult,
  ReadOptions,
  ReadResult,
  TimestampLookup,
  RetentionResult,
} from './storage/partition-log.js';
export type { LogConfig } from './storage/log-config.js';
export { DEFAULT_LOG_CONFIG } from './storage/log-config.js';
export { MappingLru } from './storage/mapping-lru.js';
export { encodeRecordBatch } from './records/encode-record-batch.js';
export { decodeRecordBatch } from './records/decode-record-batch.js';
export { iterateRecords, iterateBatches } from './records/record-iterator.js';
export { compress, decompress } from './records/compression/index.js';
export type { DecompressOptions } from './records/compression/index.js';
export { validateCompressedBatch } from './records/validate-compressed-batch.js';
export type { BatchSummary, CompressedBatchOptions } from './records/validate-compressed-batch.js';
export type { RecordInput, BatchOptions } from './records/encode-record-batch.js';
export type { DecodedBatch, DecodedRecord } from './records/decode-record-batch.js';
export { crc32c } from './native/crc32c.js';
export { SkeinError, OffsetOutOfRangeError, CorruptSegmentError, ERROR_CODES } from './errors.js';
export type { ErrorCode } from './errors.js';
export type { SchemaRegistryListenOptions } from './client/skein.js';
export type { SchemaRegistry, SchemaVersion, RegisterOptions, Mode } from './schema-registry/schema-registry.js';
export type { SchemaRegistryServer } from './schema-registry/http-api.js';
export type { CompatibilityLevel } from './schema-registry/compatibility.js';
export { COMPATIBILITY_LEVELS } from './schema-registry/compatibility.js';
