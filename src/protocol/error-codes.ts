/**
 * Kafka's numeric error codes, and the one table that maps Skein's error codes to them.
 *
 * Owns: the int16 codes responses carry (Kafka's Errors.java; KAFKA-PROTOCOL.md §7) and
 * `toKafkaErrorCode`, which the protocol handlers use for every SkeinError they turn into a
 * response. Hand-written on purpose: which Kafka error a Skein condition should look like
 * to a client is a decision (retriable or not, what the client does next), not data.
 *
 * Every code of src/errors.ts ERROR_CODES has an explicit row below; a test fails when a
 * new code is added without one. At run time a code without a row (or anything that is not
 * a SkeinError) becomes -1 UNKNOWN_SERVER_ERROR, as Java's broker answers unexpected
 * exceptions.
 */
import { SkeinError, type ErrorCode } from '../errors.js';

/** Kafka error codes by Kafka's name (the subset Skein can answer or clients act on). */
export const KAFKA_ERRORS = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  REPLICA_NOT_AVAILABLE: 9,
  MESSAGE_TOO_LARGE: 10,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  KAFKA_STORAGE_ERROR: 56,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  OFFSET_NOT_AVAILABLE: 78,
  MEMBER_ID_REQUIRED: 79,
  FENCED_INSTANCE_ID: 82,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  THROTTLING_QUOTA_EXCEEDED: 89,
  PRODUCER_FENCED: 90,
  UNKNOWN_TOPIC_ID: 100,
  FENCED_MEMBER_EPOCH: 110,
} as const;

export type KafkaErrorName = keyof typeof KAFKA_ERRORS;

/**
 * The Kafka error each Skein code is answered with. Storage failures all become
 * KAFKA_STORAGE_ERROR, which clients treat as retriable (refresh metadata, try again), as
 * for a Java broker whose log directory failed. Codes that only clients raise have no
 * broker meaning and are mapped to UNKNOWN_SERVER_ERROR explicitly.
 */
export const SKEIN_TO_KAFKA: Partial<Record<ErrorCode, KafkaErrorName>> = {
  SKEIN_INVALID_ARGUMENT: 'INVALID_REQUEST',
  SKEIN_CLOSED: 'KAFKA_STORAGE_ERROR', // a log closed under a request: the broker is stopping
  SKEIN_CORRUPT_MESSAGE: 'CORRUPT_MESSAGE',
  SKEIN_UNSUPPORTED_MESSAGE_FORMAT: 'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  SKEIN_INVALID_RECORD: 'INVALID_RECORD',
  SKEIN_MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  SKEIN_UNSUPPORTED_COMPRESSION: 'UNSUPPORTED_COMPRESSION_TYPE',
  SKEIN_OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  SKEIN_CORRUPT_SEGMENT: 'KAFKA_STORAGE_ERROR',
  SKEIN_LOG_DIR_UNAVAILABLE: 'KAFKA_STORAGE_ERROR',
  SKEIN_LOG_LOCKED: 'KAFKA_STORAGE_ERROR',
  SKEIN_DISK_FULL: 'KAFKA_STORAGE_ERROR',
  SKEIN_IO_ERROR: 'KAFKA_STORAGE_ERROR',
  SKEIN_UNKNOWN_TOPIC_OR_PARTITION: 'UNKNOWN_TOPIC_OR_PARTITION',
  SKEIN_TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
  SKEIN_INVALID_TOPIC: 'INVALID_TOPIC_EXCEPTION',
  SKEIN_INVALID_PARTITIONS: 'INVALID_PARTITIONS',
  SKEIN_INVALID_CONFIG: 'INVALID_CONFIG',
  SKEIN_INVALID_REQUIRED_ACKS: 'INVALID_REQUIRED_ACKS',
  SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  SKEIN_INVALID_PRODUCER_EPOCH: 'INVALID_PRODUCER_EPOCH',
  SKEIN_UNKNOWN_PRODUCER_ID: 'UNKNOWN_PRODUCER_ID',
  SKEIN_INVALID_GROUP_ID: 'INVALID_GROUP_ID',
  SKEIN_UNKNOWN_MEMBER_ID: 'UNKNOWN_MEMBER_ID',
  SKEIN_MEMBER_ID_REQUIRED: 'MEMBER_ID_REQUIRED',
  SKEIN_ILLEGAL_GENERATION: 'ILLEGAL_GENERATION',
  SKEIN_REBALANCE_IN_PROGRESS: 'REBALANCE_IN_PROGRESS',
  SKEIN_INCONSISTENT_GROUP_PROTOCOL: 'INCONSISTENT_GROUP_PROTOCOL',
  SKEIN_INVALID_SESSION_TIMEOUT: 'INVALID_SESSION_TIMEOUT',
  SKEIN_GROUP_ID_NOT_FOUND: 'GROUP_ID_NOT_FOUND',
  SKEIN_NON_EMPTY_GROUP: 'NON_EMPTY_GROUP',
  SKEIN_FENCED_INSTANCE_ID: 'FENCED_INSTANCE_ID',
  SKEIN_REQUEST_TIMED_OUT: 'REQUEST_TIMED_OUT',
  SKEIN_DISCONNECTED: 'UNKNOWN_SERVER_ERROR', // raised by clients only
  SKEIN_CONSUMER_STALLED: 'UNKNOWN_SERVER_ERROR', // raised by clients only
  SKEIN_SUBJECT_NOT_FOUND: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SCHEMA_VERSION_NOT_FOUND: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SCHEMA_NOT_FOUND: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SUBJECT_SOFT_DELETED: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SUBJECT_NOT_SOFT_DELETED: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SCHEMA_VERSION_SOFT_DELETED: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SCHEMA_VERSION_NOT_SOFT_DELETED: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SUBJECT_LEVEL_MODE_NOT_CONFIGURED: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_INCOMPATIBLE_SCHEMA: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_INVALID_SCHEMA: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_INVALID_SCHEMA_VERSION: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_INVALID_COMPATIBILITY_LEVEL: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_INVALID_MODE: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_OPERATION_NOT_PERMITTED: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SCHEMA_STORE_ERROR: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_SCHEMA_MISMATCH: 'UNKNOWN_SERVER_ERROR', // schema registry: HTTP codes in src/schema-registry/http-api.ts
  SKEIN_INVALID_REQUEST: 'INVALID_REQUEST',
  SKEIN_UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  SKEIN_POLICY_VIOLATION: 'POLICY_VIOLATION',
  SKEIN_INVALID_REPLICATION_FACTOR: 'INVALID_REPLICATION_FACTOR',
  SKEIN_INVALID_REPLICA_ASSIGNMENT: 'INVALID_REPLICA_ASSIGNMENT',
  SKEIN_COORDINATOR_UNAVAILABLE: 'REQUEST_TIMED_OUT', // etcd unreachable: retriable, as Kafka's broker answers when ZooKeeper is
  SKEIN_NODE_ID_IN_USE: 'UNKNOWN_SERVER_ERROR', // start-up only
  SKEIN_STALE_CLUSTER_STATE: 'REQUEST_TIMED_OUT', // a lost compare-and-set race: retriable
  SKEIN_CORRUPT_CLUSTER_STATE: 'UNKNOWN_SERVER_ERROR',
  SKEIN_NOT_LEADER_OR_FOLLOWER: 'NOT_LEADER_OR_FOLLOWER',
  SKEIN_LEADER_NOT_AVAILABLE: 'LEADER_NOT_AVAILABLE',
  SKEIN_NOT_COORDINATOR: 'NOT_COORDINATOR',
  SKEIN_COORDINATOR_LOAD_IN_PROGRESS: 'COORDINATOR_LOAD_IN_PROGRESS',
  SKEIN_COORDINATOR_NOT_AVAILABLE: 'COORDINATOR_NOT_AVAILABLE',
};

/** The Kafka error code a response carries for `err`: -1 for anything without a mapping. */
export function toKafkaErrorCode(err: unknown): number {
  if (!(err instanceof SkeinError)) return KAFKA_ERRORS.UNKNOWN_SERVER_ERROR;
  const name = SKEIN_TO_KAFKA[err.code];
  return name === undefined ? KAFKA_ERRORS.UNKNOWN_SERVER_ERROR : KAFKA_ERRORS[name];
}

const NAME_BY_CODE = new Map<number, KafkaErrorName>(
  (Object.entries(KAFKA_ERRORS) as Array<[KafkaErrorName, number]>).map(([name, code]) => [code, name]),
);

/** Kafka's name of a numeric error code (for logs), or undefined for codes not listed. */
export function kafkaErrorName(code: number): KafkaErrorName | undefined {
  return NAME_BY_CODE.get(code);
}
