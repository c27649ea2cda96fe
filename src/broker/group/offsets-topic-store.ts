/**
 * Committed offsets and group generations kept in the internal topic `__consumer_offsets`, as
 * Kafka keeps them: `partitionCount` partitions (offsets.topic.num.partitions), a group in
 * partition coordinatorPartition(groupId) (Java's hash), records in Kafka's binary layout
 * (offsets-records.ts): OffsetCommitKey → OffsetCommitValue v3 per committed partition,
 * GroupMetadataKey → GroupMetadataValue v3 per generation, null values for deletions. The topic
 * is compacted (cleanup.policy=compact), which keeps the last record per key.
 *
 * One thing Kafka's value lacks is carried in a record header that Kafka's tools ignore:
 * `skein.topicId`, the id of the topic incarnation an offset was committed against (KIP-516),
 * so an offset of a deleted and re-created topic is never served (group-coordinator.ts).
 *
 * The partitions themselves belong to the broker (one broker: opened at first use; a cluster:
 * the replicas it holds); this store only reads and appends them through `OffsetsPartitions`.
 * Writes are acknowledged as a producer's acks -1 writes are: one broker, through
 * Partition.produce; a cluster, through OffsetsPartitions.produce, once replicated to the ISR
 * (a commit the coordinator answered survives the coordinator's death). Deleting a group writes a tombstone for each of its
 * offsets and one for its metadata. Event loop only; the coordinator orders calls per group.
 */
import { SkeinError } from '../../errors.js';
import { encodeRecordBatch, type RecordInput } from '../../records/encode-record-batch.js';
import { iterateRecords } from '../../records/record-iterator.js';
import type { Partition } from '../../partition/partition.js';
import { coordinatorPartition } from './coordinator-partition.js';
import type { LoadedPartition, PartitionedOffsetStore, StoredGroup, StoredOffset } from './offset-store.js';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from './offsets-records.js';

/** The record header carrying the topic id of a commit (ignored by Kafka's readers). */
export const TOPIC_ID_HEADER = 'skein.topicId';

export interface OffsetsPartitions {
  /** Partition `p` of `__consumer_offsets` as this broker holds it, or undefined. */
  partition(p: number): Partition | undefined;
  /** Creates the topic if it does not exist yet (Kafka creates it at first use). */
  ensureCreated(): Promise<void>;
  /**
   * Appends to a partition and resolves once the write is acknowledged as acks -1 asks: in a
   * cluster, once the high watermark passed it (every in-sync replica has it). Without it, a
   * plain Partition.produce (one broker: acknowledged once flushed as the log's policy asks).
   */
  produce?(partition: Partition, records: Buffer): Promise<void>;
}

export class OffsetsTopicStore implements PartitionedOffsetStore {
  readonly partitionCount: number;
  private partitions: OffsetsPartitions;
  private readonly warn: (message: string) => void;
  /** Per group, the `topic\0partition` of its live offsets, for the tombstones of deleteGroup. */
  private readonly keysByGroup = new Map<string, Set<string>>();

  constructor(partitionCount: number, partitions: OffsetsPartitions, warn: (message: string) => void = () => {}) {
    if (!Number.isInteger(partitionCount) || partitionCount < 1) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `offsets.topic.num.partitions must be a positive integer, got ${String(partitionCount)}`, { setting: 'offsetsTopicPartitions' });
    }
    this.partitionCount = partitionCount;
    this.partitions = partitions;
    this.warn = warn;
  }

  /** Switches where the partitions are (a broker that joins a cluster: from its own folders to its replicas). */
  usePartitions(partitions: OffsetsPartitions): void {
    this.partitions = partitions;
  }

  partitionOf(groupId: string): number {
    return coordinatorPartition(groupId, this.partitionCount);
  }

  /** Not used: a partitioned store is loaded partition by partition. */
  async load(): Promise<Iterable<StoredOffset>> {
    return [];
  }

  /**
   * Replays partition `p` (last record per key wins; tombstones remove). A record that does
   * not decode is skipped with a warning: it is kept in the log, never rewritten.
   */
  async loadPartition(p: number): Promise<LoadedPartition> {
    const offsets = new Map<string, StoredOffset>();
    const groups = new Map<string, StoredGroup>();
    const partition = this.partitions.partition(p);
    if (!partition) return { offsets: [], groups: [] };
    const log = partition.log;
    let records = 0;
    for (const batch of log.batchesFrom(log.logStartOffset)) {
      for (const record of iterateRecords(batch)) {
        // Loading a large partition must not starve the event loop (requests for its groups wait anyway).
        if (++records % 5000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        if (!record.key) continue;
        try {
          const key = decodeOffsetsTopicKey(record.key);
          if (key.type === 'group') {
            if (record.value) groups.set(key.group, { groupId: key.group, ...decodeGroupMetadataValue(record.value) });
            else groups.delete(key.group);
            continue;
          }
          const mapKey = offsetKey(key.group, key.topic, key.partition);
          if (!record.value) {
            offsets.delete(mapKey);
            continue;
          }
          const value = decodeOffsetCommitValue(record.value);
          const stored: StoredOffset = {
            groupId: key.group,
            topic: key.topic,
            partition: key.partition,
            offset: value.offset,
            leaderEpoch: value.leaderEpoch,
            metadata: value.metadata,
            commitTimestamp: value.commitTimestamp,
          };
          const topicId = record.headers.find((h) => h.key === TOPIC_ID_HEADER)?.value;
          if (topicId) stored.topicId = topicId.toString('utf8');
          offsets.set(mapKey, stored);
        } catch (err) {
          this.warn(`__consumer_offsets-${p} offset ${record.offset}: ${(err as Error).message}; record skipped`);
        }
      }
    }
    for (const groupId of [...this.keysByGroup.keys()]) if (this.partitionOf(groupId) === p) this.keysByGroup.delete(groupId);
    for (const o of offsets.values()) this.noteKey(o.groupId, o.topic, o.partition);
    return { offsets: [...offsets.values()], groups: [...groups.values()] };
  }

  async commit(groupId: string, offsets: StoredOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.append(
      groupId,
      offsets.map((o) => {
        const record: RecordInput = {
          key: encodeOffsetCommitKey(groupId, o.topic, o.partition),
          value: encodeOffsetCommitValue({ offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', commitTimestamp: o.commitTimestamp }),
          timestamp: o.commitTimestamp,
        };
        if (o.topicId !== undefined) record.headers = [{ key: TOPIC_ID_HEADER, value: o.topicId }];
        return record;
      }),
    );
    for (const o of offsets) this.noteKey(groupId, o.topic, o.partition);
  }

  async storeGroup(group: StoredGroup): Promise<void> {
    const { groupId, ...value } = group;
    await this.append(groupId, [{ key: encodeGroupMetadataKey(groupId), value: encodeGroupMetadataValue(value), timestamp: Date.now() }]);
  }

  async deleteGroup(groupId: string): Promise<void> {
    const keys = [...(this.keysByGroup.get(groupId) ?? [])];
    const tombstones: RecordInput[] = keys.map((k) => {
      const [topic, partition] = k.split('\u0000');
      return { key: encodeOffsetCommitKey(groupId, topic!, Number(partition)), value: null };
    });
    tombstones.push({ key: encodeGroupMetadataKey(groupId), value: null });
    await this.append(groupId, tombstones);
    this.keysByGroup.delete(groupId);
  }

  async deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<void> {
    if (partitions.length === 0) return;
    await this.append(
      groupId,
      partitions.map((p) => ({ key: encodeOffsetCommitKey(groupId, p.topic, p.partition), value: null })),
    );
    const keys = this.keysByGroup.get(groupId);
    for (const p of partitions) keys?.delete(`${p.topic}\u0000${p.partition}`);
  }

  /** Appends records of one group to its partition; resolves once acknowledged (acks -1). */
  private async append(groupId: string, records: RecordInput[]): Promise<void> {
    await this.partitions.ensureCreated();
    const p = this.partitionOf(groupId);
    const partition = this.partitions.partition(p);
    if (!partition) {
      throw new SkeinError('SKEIN_NOT_COORDINATOR', `this broker holds no replica of __consumer_offsets-${p}, which holds group ${groupId}`, { groupId, partition: p });
    }
    const batch = encodeRecordBatch(records);
    if (this.partitions.produce) await this.partitions.produce(partition, batch);
    else await partition.produce(batch, -1);
  }

  private noteKey(groupId: string, topic: string, partition: number): void {
    let keys = this.keysByGroup.get(groupId);
    if (!keys) this.keysByGroup.set(groupId, (keys = new Set()));
    keys.add(`${topic}\u0000${partition}`);
  }
}

function offsetKey(groupId: string, topic: string, partition: number): string {
  return `${groupId}\u0000${topic}\u0000${partition}`;
}
