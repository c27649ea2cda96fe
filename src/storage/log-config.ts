/**
 * The settings of one partition log, named as Kafka's topic configs (camelCased, units in
 * the name) with Kafka's defaults unless a comment says why not.
 */
import { SkeinError } from '../errors.js';

export interface LogConfig {
  /** segment.bytes: a segment rolls before it would grow past this. Kafka: 1 GiB. */
  segmentBytes: number;
  /** segment.ms: a segment rolls once its first batch is older than this. Kafka: 7 days. */
  segmentMs: number;
  /** retention.ms: whole segments whose newest record is older than this are deleted; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes: oldest segments are deleted while the log would stay above this; -1 = no limit. */
  retentionBytes: number;
  /** max.message.bytes: the largest batch accepted (Kafka 1048588 = 1 MiB + batch overhead). */
  maxMessageBytes: number;
  /**
   * flush.messages: flush after this many appended records. 1 means every batch, with group
   * commit: one flush answers every append waiting. Infinity (Kafka's default) leaves it to the OS.
   */
  flushMessages: number;
  /** flush.ms: flush data older than this. Infinity leaves it to the OS. */
  flushMs: number;
  /** index.interval.bytes: bytes of batches between two offset index entries. */
  indexIntervalBytes: number;
  /**
   * The first extent of disk a segment reserves with fallocate; later extents double, up to
   * 256 MiB (never past segmentBytes). Kafka's segments grow with each write; ours are written
   * through a mapping, and a write into a hole past the reserved blocks would SIGBUS on a full
   * disk, so space is reserved ahead: ENOSPC then surfaces as an error on append.
   */
  preallocateBytes: number;
  /**
   * min.cleanable.dirty.ratio: a compacted log is cleaned once the bytes not yet cleaned are at
   * least this share of the cleanable bytes (Kafka: 0.5).
   */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms: a record stays uncompacted at least this long (segments newer are skipped). Kafka: 0. */
  minCompactionLagMs: number;
  /** delete.retention.ms: a tombstone (null value) is kept this long after its timestamp. Kafka: 1 day. */
  deleteRetentionMs: number;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  maxMessageBytes: 1024 * 1024 + 12,
  flushMessages: Infinity,
  flushMs: Infinity,
  indexIntervalBytes: 4096,
  preallocateBytes: 4 * 1024 * 1024,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  deleteRetentionMs: 24 * 60 * 60 * 1000,
});

/** Segment positions are stored as 32-bit numbers in the indexes, as in Kafka. */
export const MAX_SEGMENT_BYTES = 2 ** 31 - 1;
/** A segment must hold at least one batch header. */
export const MIN_SEGMENT_BYTES = 64;

function check(ok: boolean, name: string, value: unknown, rule: string): void {
  if (!ok) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `${name} must be ${rule}, got ${String(value)}`, { setting: name });
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isIntOrInfinity = (v: unknown): v is number => isInt(v) || v === Infinity;

export function resolveLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  if (typeof overrides !== 'object' || overrides === null) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'log config must be an object');
  }
  for (const key of Object.keys(overrides)) {
    check(key in DEFAULT_LOG_CONFIG, 'log config key', key, `one of ${Object.keys(DEFAULT_LOG_CONFIG).join(', ')}`);
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const c: LogConfig = { ...DEFAULT_LOG_CONFIG, ...defined };
  check(isInt(c.segmentBytes) && c.segmentBytes >= MIN_SEGMENT_BYTES && c.segmentBytes <= MAX_SEGMENT_BYTES,
    'segmentBytes', c.segmentBytes, `an integer in [${MIN_SEGMENT_BYTES}, ${MAX_SEGMENT_BYTES}]`);
  check(isIntOrInfinity(c.segmentMs) && c.segmentMs > 0, 'segmentMs', c.segmentMs, 'a positive integer or Infinity');
  check((isInt(c.retentionMs) && c.retentionMs >= -1) || c.retentionMs === Infinity, 'retentionMs', c.retentionMs, '-1 or a non-negative integer');
  check(isInt(c.retentionBytes) && c.retentionBytes >= -1, 'retentionBytes', c.retentionBytes, '-1 or a non-negative integer');
  check(isInt(c.maxMessageBytes) && c.maxMessageBytes > 0, 'maxMessageBytes', c.maxMessageBytes, 'a positive integer');
  check(isIntOrInfinity(c.flushMessages) && c.flushMessages >= 1, 'flushMessages', c.flushMessages, 'an integer >= 1 or Infinity');
  check(isIntOrInfinity(c.flushMs) && c.flushMs >= 0, 'flushMs', c.flushMs, 'a non-negative integer or Infinity');
  check(isInt(c.indexIntervalBytes) && c.indexIntervalBytes >= 0, 'indexIntervalBytes', c.indexIntervalBytes, 'a non-negative integer');
  check(isInt(c.preallocateBytes) && c.preallocateBytes >= 4096, 'preallocateBytes', c.preallocateBytes, 'an integer >= 4096');
  check(typeof c.minCleanableDirtyRatio === 'number' && c.minCleanableDirtyRatio >= 0 && c.minCleanableDirtyRatio <= 1,
    'minCleanableDirtyRatio', c.minCleanableDirtyRatio, 'a number in [0, 1]');
  check(isIntOrInfinity(c.minCompactionLagMs) && c.minCompactionLagMs >= 0, 'minCompactionLagMs', c.minCompactionLagMs, 'a non-negative integer');
  check(isIntOrInfinity(c.deleteRetentionMs) && c.deleteRetentionMs >= 0, 'deleteRetentionMs', c.deleteRetentionMs, 'a non-negative integer');
  return c;
}
