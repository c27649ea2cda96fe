/**
 * Topic configs by Kafka's names, with their defaults, their validation, and the LogConfig
 * of the storage layer they turn into. Values are strings on the way in (as in Kafka's
 * CreateTopics and AlterConfigs), parsed and checked here.
 */
import { SkeinError } from '../errors.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/log-config.js';

/** Kafka's Long.MAX_VALUE, which Kafka uses for "never" in flush.messages and flush.ms. */
const LONG_MAX = '9223372036854775807';

interface ConfigSpec {
  default: string;
  /** The broker config that sets this for topics without their own value (Kafka's synonym), if any. */
  broker?: string;
  /** False: accepted, stored and described as Kafka does, but Skein does not act on it yet. */
  actedOn?: boolean;
  /** Throws SKEIN_INVALID_CONFIG for a bad value. */
  check: (value: string, name: string) => void;
  /** Where the value goes in the storage layer's LogConfig, if it does. */
  log?: (value: string) => Partial<LogConfig>;
  doc: string;
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string, name: string) => {
    const n = parseLong(value);
    if (!Number.isFinite(n) && value !== LONG_MAX) bad(name, value, 'an integer');
    if (Number.isFinite(n) && (n < min || n > max)) bad(name, value, `an integer in [${min}, ${max}]`);
  };
}

function oneOf(...allowed: string[]) {
  return (value: string, name: string) => {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.some((p) => !allowed.includes(p))) bad(name, value, `one of ${allowed.join(', ')}`);
  };
}

function decimal(min: number, max: number) {
  return (value: string, name: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) bad(name, value, `a number in [${min}, ${max}]`);
  };
}

const bool = oneOf('true', 'false');
const anything = () => undefined;

function bad(name: string, value: string, rule: string): never {
  throw new SkeinError('SKEIN_INVALID_CONFIG', `config ${name} must be ${rule}, got "${value}"`, { config: name, value });
}

/** Long.MAX_VALUE means never: Infinity. Other values must be safe integers. */
function parseLong(value: string): number {
  if (value === LONG_MAX) return Infinity;
  if (!/^-?\d+$/.test(value.trim())) return NaN;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : NaN;
}

export const TOPIC_CONFIGS: Record<string, ConfigSpec> = {
  'cleanup.policy': {
    default: 'delete',
    broker: 'log.cleanup.policy',
    check: oneOf('delete', 'compact'),
    doc: 'delete: whole segments past retention are removed. compact: the log cleaner keeps the last record per key (docs/compaction.md). compact,delete: both.',
  },
  'retention.ms': { broker: 'log.retention.ms', default: String(DEFAULT_LOG_CONFIG.retentionMs), check: integer(-1), log: (v) => ({ retentionMs: parseLong(v) }), doc: 'Delete segments whose newest record is older than this; -1 keeps forever.' },
  'retention.bytes': { broker: 'log.retention.bytes', default: '-1', check: integer(-1), log: (v) => ({ retentionBytes: parseLong(v) }), doc: 'Delete oldest segments while the partition holds more than this; -1 = no limit.' },
  'segment.bytes': { broker: 'log.segment.bytes', default: String(DEFAULT_LOG_CONFIG.segmentBytes), check: integer(14, 2 ** 31 - 1), log: (v) => ({ segmentBytes: Math.max(64, parseLong(v)) }), doc: 'Roll a segment before it grows past this.' },
  'segment.ms': { broker: 'log.roll.ms', default: String(DEFAULT_LOG_CONFIG.segmentMs), check: integer(1), log: (v) => ({ segmentMs: parseLong(v) }), doc: 'Roll a segment once its first batch is this old.' },
  'max.message.bytes': { broker: 'message.max.bytes', default: String(DEFAULT_LOG_CONFIG.maxMessageBytes), check: integer(0, 2 ** 31 - 1), log: (v) => ({ maxMessageBytes: Math.max(1, parseLong(v)) }), doc: 'The largest record batch accepted.' },
  'flush.messages': { broker: 'log.flush.interval.messages', default: LONG_MAX, check: integer(1), log: (v) => ({ flushMessages: parseLong(v) }), doc: 'Flush after this many records; 1 = every batch (group commit).' },
  'flush.ms': { broker: 'log.flush.interval.ms', default: LONG_MAX, check: integer(0), log: (v) => ({ flushMs: parseLong(v) }), doc: 'Flush data older than this.' },
  'index.interval.bytes': { broker: 'log.index.interval.bytes', default: String(DEFAULT_LOG_CONFIG.indexIntervalBytes), check: integer(0), log: (v) => ({ indexIntervalBytes: parseLong(v) }), doc: 'Bytes between offset index entries.' },
  'min.insync.replicas': { broker: 'min.insync.replicas', default: '1', check: integer(1), doc: 'Replicas that must have a batch for acks=all (one broker: always 1).' },
  'message.timestamp.type': { broker: 'log.message.timestamp.type', default: 'CreateTime', check: oneOf('CreateTime'), doc: 'CreateTime: records keep the producer\'s timestamps (LogAppendTime is not supported yet).' },
  // The rest of Kafka 3.x's topic configs, with Kafka's defaults: accepted, stored and
  // described (tools and UIs read them), not acted on yet (docs/operations.md says which are).
  'compression.type': { broker: 'compression.type', default: 'producer', check: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'), actedOn: false, doc: 'Batches are stored as the producer compressed them (producer); recompression is not done yet.' },
  'delete.retention.ms': { broker: 'log.cleaner.delete.retention.ms', default: '86400000', check: integer(0), log: (v) => ({ deleteRetentionMs: parseLong(v) }), doc: 'Keep tombstones of a compacted log this long after their timestamp.' },
  'file.delete.delay.ms': { broker: 'log.segment.delete.delay.ms', default: '60000', check: integer(0), actedOn: false, doc: 'Skein deletes a segment file at once; open views keep its mapping alive.' },
  'follower.replication.throttled.replicas': { broker: 'follower.replication.throttled.replicas', default: '', check: anything, actedOn: false, doc: 'Replication throttling (no replication yet).' },
  'leader.replication.throttled.replicas': { broker: 'leader.replication.throttled.replicas', default: '', check: anything, actedOn: false, doc: 'Replication throttling (no replication yet).' },
  'local.retention.bytes': { broker: 'log.local.retention.bytes', default: '-2', check: integer(-2), actedOn: false, doc: 'Tiered storage (not built).' },
  'local.retention.ms': { broker: 'log.local.retention.ms', default: '-2', check: integer(-2), actedOn: false, doc: 'Tiered storage (not built).' },
  'max.compaction.lag.ms': { broker: 'log.cleaner.max.compaction.lag.ms', default: LONG_MAX, check: integer(1), actedOn: false, doc: 'Not enforced: the cleaner runs on min.cleanable.dirty.ratio only.' },
  'message.downconversion.enable': { broker: 'log.message.downconversion.enable', default: 'true', check: bool, actedOn: false, doc: 'Always on: Fetch v0-3 get stored batches converted down to magic 0/1.' },
  'message.format.version': { broker: 'log.message.format.version', default: '3.0-IV1', check: anything, actedOn: false, doc: 'Deprecated in Kafka 3; Skein stores RecordBatch v2.' },
  'message.timestamp.difference.max.ms': { broker: 'log.message.timestamp.difference.max.ms', default: LONG_MAX, check: integer(0), actedOn: false, doc: 'Timestamps are not checked against the broker clock yet.' },
  'message.timestamp.before.max.ms': { broker: 'log.message.timestamp.before.max.ms', default: LONG_MAX, check: integer(0), actedOn: false, doc: 'Timestamps are not checked against the broker clock yet.' },
  'message.timestamp.after.max.ms': { broker: 'log.message.timestamp.after.max.ms', default: LONG_MAX, check: integer(0), actedOn: false, doc: 'Timestamps are not checked against the broker clock yet.' },
  'min.cleanable.dirty.ratio': { broker: 'log.cleaner.min.cleanable.ratio', default: '0.5', check: decimal(0, 1), log: (v) => ({ minCleanableDirtyRatio: Number(v) }), doc: 'Clean a compacted log once this share of its cleanable bytes is not cleaned yet.' },
  'min.compaction.lag.ms': { broker: 'log.cleaner.min.compaction.lag.ms', default: '0', check: integer(0), log: (v) => ({ minCompactionLagMs: parseLong(v) }), doc: 'A record stays uncompacted at least this long.' },
  preallocate: { broker: 'log.preallocate', default: 'false', check: bool, actedOn: false, doc: 'Skein always preallocates segment space (posix_fallocate) so writes through the mapping cannot fault on a full disk.' },
  'remote.storage.enable': { default: 'false', check: oneOf('false'), actedOn: false, doc: 'Tiered storage (not built): only false.' },
  'segment.index.bytes': { broker: 'log.index.size.max.bytes', default: '10485760', check: integer(4), actedOn: false, doc: 'Skein sizes its indexes from segment.bytes and index.interval.bytes.' },
  'segment.jitter.ms': { broker: 'log.roll.jitter.ms', default: '0', check: integer(0), actedOn: false, doc: 'No jitter on segment.ms rolls yet.' },
  'unclean.leader.election.enable': { broker: 'unclean.leader.election.enable', default: 'false', check: bool, actedOn: false, doc: 'Leader election (no replication yet).' },
};

export type TopicConfigValues = Record<string, string>;

/** Validates `entries` (names and values) and returns them as a plain map. */
export function validateTopicConfigs(entries: ReadonlyArray<{ name: string; value: string }> | undefined): TopicConfigValues {
  const values: TopicConfigValues = {};
  for (const entry of entries ?? []) {
    if (!entry || typeof entry.name !== 'string') throw new SkeinError('SKEIN_INVALID_CONFIG', 'a config entry needs a name');
    const spec = TOPIC_CONFIGS[entry.name];
    if (!spec) throw new SkeinError('SKEIN_INVALID_CONFIG', `unknown topic config ${entry.name}`, { config: entry.name });
    const value = String(entry.value);
    spec.check(value, entry.name);
    values[entry.name] = value;
  }
  return values;
}

/** The storage settings for a topic whose explicit configs are `values` over broker defaults. */
export function logConfigOf(values: TopicConfigValues, brokerDefaults: TopicConfigValues = {}): Partial<LogConfig> {
  let config: Partial<LogConfig> = {};
  for (const [name, spec] of Object.entries(TOPIC_CONFIGS)) {
    const value = values[name] ?? brokerDefaults[name];
    if (value !== undefined && spec.log) config = { ...config, ...spec.log(value) };
  }
  return config;
}

export interface DescribedConfig {
  name: string;
  value: string;
  /** The broker config that sets the default (Kafka's synonym), if any. */
  brokerSynonym?: string;
  /** The value before the topic's own: the broker's default or Kafka's. */
  defaultValue: string;
  /** True when defaultValue is the broker's (topicDefaults), false when it is Kafka's. */
  defaultFromBroker: boolean;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: false;
  source: 'topic' | 'broker-default' | 'default';
}

/**
 * The broker configs a BROKER resource describes: each topic config's broker synonym with the
 * broker's default for topics (or Kafka's), plus the broker-wide settings given.
 */
export function describeBrokerConfigs(brokerDefaults: TopicConfigValues, settings: Record<string, string>): Array<{ name: string; value: string; isDefault: boolean }> {
  const out = new Map<string, { name: string; value: string; isDefault: boolean }>();
  for (const [name, value] of Object.entries(settings)) out.set(name, { name, value, isDefault: false });
  for (const [name, spec] of Object.entries(TOPIC_CONFIGS)) {
    if (!spec.broker || out.has(spec.broker)) continue;
    const set = brokerDefaults[name];
    out.set(spec.broker, { name: spec.broker, value: set ?? spec.default, isDefault: set === undefined });
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Every config of a topic with its effective value and where it comes from. */
export function describeTopicConfigs(values: TopicConfigValues, brokerDefaults: TopicConfigValues = {}): DescribedConfig[] {
  return Object.entries(TOPIC_CONFIGS).map(([name, spec]) => {
    const explicit = values[name];
    const fromBroker = brokerDefaults[name];
    return {
      name,
      value: explicit ?? fromBroker ?? spec.default,
      brokerSynonym: spec.broker,
      defaultValue: fromBroker ?? spec.default,
      defaultFromBroker: fromBroker !== undefined,
      isDefault: explicit === undefined,
      readOnly: false,
      sensitive: false as const,
      source: explicit !== undefined ? 'topic' : fromBroker !== undefined ? 'broker-default' : 'default',
    };
  });
}
