/**
 * Every error Skein raises is a SkeinError with a stable `code` from the closed list below.
 *
 * Owns: the list of codes and the error classes. The native addon creates its errors
 * through `createNativeError` (handed to it once at load by src/native/binding.ts), so
 * errors thrown in C++ are SkeinErrors too. Kafka's numeric error codes do not belong
 * here: the protocol layer maps these codes to them in one table.
 *
 * Classes are branded with Symbol.for so `instanceof` holds across two copies of Skein
 * loaded in one process (the undici idiom).
 */

export const ERROR_CODES = [
  'SKEIN_INVALID_ARGUMENT',
  'SKEIN_CLOSED',
  'SKEIN_CORRUPT_MESSAGE',
  'SKEIN_UNSUPPORTED_MESSAGE_FORMAT',
  'SKEIN_INVALID_RECORD',
  'SKEIN_MESSAGE_TOO_LARGE',
  'SKEIN_UNSUPPORTED_COMPRESSION',
  'SKEIN_OFFSET_OUT_OF_RANGE',
  'SKEIN_CORRUPT_SEGMENT',
  'SKEIN_LOG_DIR_UNAVAILABLE',
  'SKEIN_LOG_LOCKED',
  'SKEIN_DISK_FULL',
  'SKEIN_IO_ERROR',
  // Broker: topics and partitions (Kafka's names).
  'SKEIN_UNKNOWN_TOPIC_OR_PARTITION',
  'SKEIN_TOPIC_ALREADY_EXISTS',
  'SKEIN_INVALID_TOPIC',
  'SKEIN_INVALID_PARTITIONS',
  'SKEIN_INVALID_CONFIG',
  'SKEIN_INVALID_REQUIRED_ACKS',
  // Broker: idempotent producers.
  'SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER',
  'SKEIN_INVALID_PRODUCER_EPOCH',
  'SKEIN_UNKNOWN_PRODUCER_ID',
  // Broker: consumer groups.
  'SKEIN_INVALID_GROUP_ID',
  'SKEIN_UNKNOWN_MEMBER_ID',
  'SKEIN_MEMBER_ID_REQUIRED',
  'SKEIN_ILLEGAL_GENERATION',
  'SKEIN_REBALANCE_IN_PROGRESS',
  'SKEIN_INCONSISTENT_GROUP_PROTOCOL',
  'SKEIN_INVALID_SESSION_TIMEOUT',
  'SKEIN_GROUP_ID_NOT_FOUND',
  'SKEIN_NON_EMPTY_GROUP',
  'SKEIN_FENCED_INSTANCE_ID',
  'SKEIN_REQUEST_TIMED_OUT',
  // Clients.
  'SKEIN_DISCONNECTED',
  'SKEIN_CONSUMER_STALLED',
  // Kafka wire protocol.
  'SKEIN_INVALID_REQUEST',
  'SKEIN_UNSUPPORTED_VERSION',
  // Broker: limits.
  'SKEIN_POLICY_VIOLATION',
  'SKEIN_INVALID_REPLICATION_FACTOR',
  // Schema registry (Confluent's REST error codes in docs/schema-registry.md).
  'SKEIN_SUBJECT_NOT_FOUND',
  'SKEIN_SCHEMA_VERSION_NOT_FOUND',
  'SKEIN_SCHEMA_NOT_FOUND',
  'SKEIN_SUBJECT_SOFT_DELETED',
  'SKEIN_SUBJECT_NOT_SOFT_DELETED',
  'SKEIN_SCHEMA_VERSION_SOFT_DELETED',
  'SKEIN_SCHEMA_VERSION_NOT_SOFT_DELETED',
  'SKEIN_SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED',
  'SKEIN_SUBJECT_LEVEL_MODE_NOT_CONFIGURED',
  'SKEIN_INCOMPATIBLE_SCHEMA',
  'SKEIN_INVALID_SCHEMA',
  'SKEIN_INVALID_SCHEMA_VERSION',
  'SKEIN_INVALID_COMPATIBILITY_LEVEL',
  'SKEIN_INVALID_MODE',
  'SKEIN_OPERATION_NOT_PERMITTED',
  'SKEIN_SCHEMA_STORE_ERROR',
  'SKEIN_SCHEMA_MISMATCH',
  // Topic administration.
  'SKEIN_INVALID_REPLICA_ASSIGNMENT',
  // Cluster (etcd coordination, replication).
  'SKEIN_COORDINATOR_UNAVAILABLE',
  'SKEIN_NODE_ID_IN_USE',
  'SKEIN_STALE_CLUSTER_STATE',
  'SKEIN_CORRUPT_CLUSTER_STATE',
  'SKEIN_NOT_LEADER_OR_FOLLOWER',
  'SKEIN_LEADER_NOT_AVAILABLE',
  'SKEIN_NOT_ENOUGH_REPLICAS',
  'SKEIN_NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'SKEIN_FENCED_LEADER_EPOCH',
  'SKEIN_UNKNOWN_LEADER_EPOCH',
  'SKEIN_NO_REASSIGNMENT_IN_PROGRESS',
  // Groups: the coordinator of a group is the leader of its __consumer_offsets partition.
  'SKEIN_NOT_COORDINATOR',
  'SKEIN_COORDINATOR_LOAD_IN_PROGRESS',
  'SKEIN_COORDINATOR_NOT_AVAILABLE',
  // A cluster broker's data folder: its meta.properties names another broker or cluster, or is damaged.
  'SKEIN_INCONSISTENT_NODE_ID',
  'SKEIN_INCONSISTENT_CLUSTER_ID',
  'SKEIN_CORRUPT_META_PROPERTIES',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const SKEIN_ERROR_BRAND = Symbol.for('skein.error');

export interface SkeinErrorOptions {
  cause?: unknown;
  /** Context that callers may branch on or log: topic, partition, offset, path, errno... */
  [key: string]: unknown;
}

export class SkeinError extends Error {
  readonly code: ErrorCode;
  [key: string]: unknown;

  constructor(code: ErrorCode, message: string, options: SkeinErrorOptions = {}) {
    const { cause, ...context } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    Object.assign(this, context);
    Object.defineProperty(this, SKEIN_ERROR_BRAND, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== SkeinError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SKEIN_ERROR_BRAND] === true;
  }
}

/** A read asked for an offset below the log start offset or above the log end offset. */
export class OffsetOutOfRangeError extends SkeinError {
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;

  constructor(offset: number, logStartOffset: number, logEndOffset: number, options: SkeinErrorOptions = {}) {
    super(
      'SKEIN_OFFSET_OUT_OF_RANGE',
      `offset ${offset} is outside the log [${logStartOffset}, ${logEndOffset}]`,
      options,
    );
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

/** Stored bytes failed their length or CRC check where recovery cannot simply cut a tail. */
export class CorruptSegmentError extends SkeinError {
  constructor(message: string, options: SkeinErrorOptions = {}) {
    super('SKEIN_CORRUPT_SEGMENT', message, options);
  }
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

/** Maps a Node.js system error (fs, native) to the SkeinError callers can branch on. */
export function fromSystemError(err: NodeJS.ErrnoException, what: string, context: SkeinErrorOptions = {}): SkeinError {
  if (err instanceof SkeinError) return err;
  const code: ErrorCode =
    err.code === 'ENOSPC' || err.code === 'EDQUOT'
      ? 'SKEIN_DISK_FULL'
      : err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'ENOTDIR' || err.code === 'EROFS'
        ? 'SKEIN_LOG_DIR_UNAVAILABLE'
        : 'SKEIN_IO_ERROR';
  return new SkeinError(code, `${what}: ${err.message}`, {
    cause: err,
    errno: err.code,
    syscall: err.syscall,
    path: err.path,
    ...context,
  });
}
