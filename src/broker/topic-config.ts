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

function ratio(value: string, name: string): void {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) bad(name, value, 'a number in [0, 1]');
}

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
    check: oneOf('delete', 'compact'),
    doc: 'delete: whole segments past retention are removed. compact: the log cleaner keeps the last record per key (docs/compaction.md). compact,delete: both.',
  },
  'min.cleanable.dirty.ratio': { default: '0.5', check: ratio, log: (v) => ({ minCleanableDirtyRatio: Number(v) }), doc: 'Clean a compacted log once this share of its cleanable bytes is not cleaned yet.' },
  'min.compaction.lag.ms': { default: '0', check: integer(0), log: (v) => ({ minCompactionLagMs: parseLong(v) }), doc: 'A record stays uncompacted at least this long.' },
  'delete.retention.ms': { default: '86400000', check: integer(0), log: (v) => ({ deleteRetentionMs: parseLong(v) }), doc: 'Keep tombstones of a compacted log this long after their timestamp.' },
  'retention.ms': { default: String(DEFAULT_LOG_CONFIG.retentionMs), check: integer(-1), log: (v) => ({ retentionMs: parseLong(v) }), doc: 'Delete segments whose newest record is older than this; -1 keeps forever.' },
  'retention.bytes': { default: '-1', check: integer(-1), log: (v) => ({ retentionBytes: parseLong(v) }), doc: 'Delete oldest segments while the partition holds more than this; -1 = no limit.' },
  'segment.bytes': { default: String(DEFAULT_LOG_CONFIG.segmentBytes), check: integer(14, 2 ** 31 - 1), log: (v) => ({ segmentBytes: Math.max(64, parseLong(v)) }), doc: 'Roll a segment before it grows past this.' },
  'segment.ms': { default: String(DEFAULT_LOG_CONFIG.segmentMs), check: integer(1), log: (v) => ({ segmentMs: parseLong(v) }), doc: 'Roll a segment once its first batch is this old.' },
  'max.message.bytes': { default: String(DEFAULT_LOG_CONFIG.maxMessageBytes), check: integer(0, 2 ** 31 - 1), log: (v) => ({ maxMessageBytes: Math.max(1, parseLong(v)) }), doc: 'The largest record batch accepted.' },
  'flush.messages': { default: LONG_MAX, check: integer(1), log: (v) => ({ flushMessages: parseLong(v) }), doc: 'Flush after this many records; 1 = every batch (group commit).' },
  'flush.ms': { default: LONG_MAX, check: integer(0), log: (v) => ({ flushMs: parseLong(v) }), doc: 'Flush data older than this.' },
  'index.interval.bytes': { default: String(DEFAULT_LOG_CONFIG.indexIntervalBytes), check: integer(0), log: (v) => ({ indexIntervalBytes: parseLong(v) }), doc: 'Bytes between offset index entries.' },
  'min.insync.replicas': { default: '1', check: integer(1), doc: 'Replicas that must have a batch for acks=all (one broker: always 1).' },
  'message.timestamp.type': { default: 'CreateTime', check: oneOf('CreateTime'), doc: 'CreateTime: records keep the producer\'s timestamps (LogAppendTime is not supported yet).' },
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
  isDefault: boolean;
  readOnly: boolean;
  sensitive: false;
  source: 'topic' | 'broker-default' | 'default';
}

/** Every config of a topic with its effective value and where it comes from. */
export function describeTopicConfigs(values: TopicConfigValues, brokerDefaults: TopicConfigValues = {}): DescribedConfig[] {
  return Object.entries(TOPIC_CONFIGS).map(([name, spec]) => {
    const explicit = values[name];
    const fromBroker = brokerDefaults[name];
    return {
      name,
      value: explicit ?? fromBroker ?? spec.default,
      isDefault: explicit === undefined,
      readOnly: false,
      sensitive: false as const,
      source: explicit !== undefined ? 'topic' : fromBroker !== undefined ? 'broker-default' : 'default',
    };
  });
}
