/**
 * The broker's own durable metadata: which topics exist with how many partitions and which
 * configs, and the next block of producer ids. Kept as JSON records in an internal log
 * (`__skein_metadata-0`), replayed at start: the same log-as-source-of-truth idea as Kafka's
 * KRaft metadata log, in miniature. Every record is flushed before the change is visible.
 *
 * Topic ids (KIP-516): every incarnation of a topic has a UUID, recorded here and in each of
 * its partition folders (partition.metadata), so a folder of a deleted topic is never taken
 * for a re-created topic of the same name. Creation is two records: `topic-creating` (the
 * intent, before any folder exists) and `topic-created` (the commit point, after every folder
 * exists); an intent never committed marks its id dead, so its folders are removed at open.
 * Deletion's commit point is `topic-deleted`; the folders go after it. Records written before
 * topic ids existed have none: the broker assigns one (`topic-id-assigned`) at open.
 */
import { SkeinError } from '../errors.js';
import { encodeRecordBatch } from '../records/encode-record-batch.js';
import { iterateRecords } from '../records/record-iterator.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { TopicConfigValues } from './topic-config.js';

export type MetadataRecord =
  | { type: 'topic-creating'; topic: string; topicId: string }
  | { type: 'topic-created'; topic: string; numPartitions: number; configs: TopicConfigValues; topicId?: string }
  | { type: 'topic-id-assigned'; topic: string; topicId: string }
  | { type: 'topic-deleted'; topic: string; topicId?: string }
  | { type: 'partitions-added'; topic: string; numPartitions: number }
  | { type: 'configs-altered'; topic: string; configs: TopicConfigValues }
  | { type: 'producer-id-block'; nextProducerId: number };

export interface TopicMetadata {
  /** Undefined only for a topic created before topic ids, until the broker assigns one at open. */
  topicId: string | undefined;
  numPartitions: number;
  configs: TopicConfigValues;
}

export class MetadataLog {
  private readonly log: PartitionLog;
  readonly topics = new Map<string, TopicMetadata>();
  /** Ids of deleted topics and of creations never committed: their folders are to be removed. */
  readonly deadTopicIds = new Set<string>();
  /** Names of topics deleted at least once (for folders and offsets older than topic ids). */
  readonly deletedNames = new Set<string>();
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
      case 'topic-creating':
        this.deadTopicIds.add(record.topicId);
        break;
      case 'topic-created':
        if (record.topicId !== undefined) this.deadTopicIds.delete(record.topicId);
        this.topics.set(record.topic, { topicId: record.topicId, numPartitions: record.numPartitions, configs: { ...record.configs } });
        break;
      case 'topic-id-assigned': {
        const topic = this.topics.get(record.topic);
        if (topic) topic.topicId = record.topicId;
        break;
      }
      case 'topic-deleted': {
        const topicId = record.topicId ?? this.topics.get(record.topic)?.topicId;
        if (topicId !== undefined) this.deadTopicIds.add(topicId);
        this.deletedNames.add(record.topic);
        this.topics.delete(record.topic);
        break;
      }
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
