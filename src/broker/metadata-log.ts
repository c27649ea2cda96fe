/**
 * The broker's own durable metadata: which topics exist with how many partitions and which
 * configs, and the next block of producer ids. Kept as JSON records in an internal log
 * (`__skein_metadata-0`), replayed at start: the same log-as-source-of-truth idea as Kafka's
 * KRaft metadata log, in miniature. Every record is flushed before the change is visible.
 */
import { SkeinError } from '../errors.js';
import { encodeRecordBatch } from '../records/encode-record-batch.js';
import { iterateRecords } from '../records/record-iterator.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { TopicConfigValues } from './topic-config.js';

export type MetadataRecord =
  | { type: 'topic-created'; topic: string; numPartitions: number; configs: TopicConfigValues }
  | { type: 'topic-deleted'; topic: string }
  | { type: 'partitions-added'; topic: string; numPartitions: number }
  | { type: 'configs-altered'; topic: string; configs: TopicConfigValues }
  | { type: 'producer-id-block'; nextProducerId: number };

export interface TopicMetadata {
  numPartitions: number;
  configs: TopicConfigValues;
}

export class MetadataLog {
  private readonly log: PartitionLog;
  readonly topics = new Map<string, TopicMetadata>();
  /** First producer id not yet reserved by a persisted block. */
  nextProducerIdBlock = 0;

  private constructor(log: PartitionLog) {
    this.log = log;
  }

  static async load(log: PartitionLog): Promise<MetadataLog> {
    const metadata = new MetadataLog(log);
    for (const batch of log.batchesFrom(log.logStartOffset)) {
      for (const record of iterateRecords(batch)) {
        if (record.value) metadata.apply(JSON.parse(record.value.toString('utf8')) as MetadataRecord);
      }
    }
    return metadata;
  }

  /** Persists `record` (flushed) and then applies it. */
  async append(record: MetadataRecord): Promise<void> {
    await this.log.append(encodeRecordBatch([{ value: JSON.stringify(record) }]));
    this.apply(record);
  }

  private apply(record: MetadataRecord): void {
    switch (record.type) {
      case 'topic-created':
        this.topics.set(record.topic, { numPartitions: record.numPartitions, configs: { ...record.configs } });
        break;
      case 'topic-deleted':
        this.topics.delete(record.topic);
        break;
      case 'partitions-added': {
        const topic = this.topics.get(record.topic);
        if (topic) topic.numPartitions = record.numPartitions;
        break;
      }
      case 'configs-altered': {
        const topic = this.topics.get(record.topic);
        if (topic) topic.configs = { ...record.configs };
        break;
      }
      case 'producer-id-block':
        this.nextProducerIdBlock = Math.max(this.nextProducerIdBlock, record.nextProducerId);
        break;
      default:
        throw new SkeinError('SKEIN_CORRUPT_SEGMENT', `unknown metadata record ${JSON.stringify(record)}`);
    }
  }
}
