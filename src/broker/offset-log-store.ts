/**
 * Committed offsets kept in the internal log `__consumer_offsets-0`, as Kafka keeps them in
 * its `__consumer_offsets` topic: one record per committed partition, key = [group, topic,
 * partition], value = the offset, its metadata and the topic id it was committed against, or
 * null (a tombstone) when the partition's topic is deleted; key = [group] alone with a null
 * value when the whole group is deleted. At start the whole log is replayed and the last record per key wins. Commits are
 * acknowledged once appended (page cache) and flushed within a second (see Broker.open).
 */
import { encodeRecordBatch } from '../records/encode-record-batch.js';
import { iterateRecords } from '../records/record-iterator.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { OffsetStore, StoredOffset } from './group/offset-store.js';

type OffsetKey = [groupId: string, topic?: string, partition?: number];

/** Rewrite the log at load when it holds at least this many records ... */
const COMPACT_MIN_RECORDS = 100_000;
/** ... and at least this many per live offset. */
const COMPACT_RATIO = 10;

interface OffsetValue {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
  topicId?: string;
}

export class OffsetLogStore implements OffsetStore {
  private readonly log: PartitionLog;
  private readonly compactMinRecords: number;
  private readonly compactRatio: number;

  constructor(log: PartitionLog, options: { compactMinRecords?: number; compactRatio?: number } = {}) {
    this.log = log;
    this.compactMinRecords = options.compactMinRecords ?? COMPACT_MIN_RECORDS;
    this.compactRatio = options.compactRatio ?? COMPACT_RATIO;
  }

  async load(): Promise<Iterable<StoredOffset>> {
    const latest = await this.currentOffsets();
    await this.compactIfWorthIt(latest);
    return latest.values();
  }

  /** Replays the log: the last record per key wins, group tombstones clear what came before. */
  private async currentOffsets(): Promise<Map<string, StoredOffset>> {
    const latest = new Map<string, StoredOffset>();
    for (const batch of this.log.batchesFrom(this.log.logStartOffset)) {
      for (const record of iterateRecords(batch)) {
        if (!record.key) continue;
        const key = JSON.parse(record.key.toString('utf8')) as OffsetKey;
        const [groupId, topic, partition] = key;
        if (topic === undefined) {
          // A group tombstone: every offset of the group before it is gone.
          for (const k of [...latest.keys()]) if (latest.get(k)!.groupId === groupId) latest.delete(k);
          continue;
        }
        const mapKey = JSON.stringify(key);
        if (!record.value) {
          latest.delete(mapKey);
          continue;
        }
        const value = JSON.parse(record.value.toString('utf8')) as OffsetValue;
        latest.set(mapKey, { groupId, topic, partition: partition!, ...value });
      }
    }
    return latest;
  }

  /**
   * The log is not compacted record by record (no log cleaner yet); instead, when it holds many
   * times more records than live offsets, load() writes every live offset again in a fresh
   * segment (flushed before anything is deleted) and drops the segments before it. A crash in
   * between only leaves duplicates of the same values, which replay tolerates.
   */
  private async compactIfWorthIt(latest: Map<string, StoredOffset>): Promise<void> {
    const records = this.log.logEndOffset - this.log.logStartOffset;
    if (records < this.compactMinRecords || records < this.compactRatio * Math.max(1, latest.size)) return;
    const snapshot = [...latest.values()];
    this.log.roll();
    const snapshotStart = this.log.logEndOffset;
    for (let i = 0; i < snapshot.length; i += 1000) {
      const chunk = snapshot.slice(i, i + 1000);
      await this.log.append(encodeRecordBatch(chunk.map((o) => ({
        key: JSON.stringify([o.groupId, o.topic, o.partition] satisfies OffsetKey),
        value: JSON.stringify(valueOf(o)),
        timestamp: o.commitTimestamp,
      }))));
    }
    if (snapshot.length === 0) this.log.roll();
    this.log.deleteSegmentsBefore(snapshotStart);
  }

  async commit(groupId: string, offsets: StoredOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const records = offsets.map((o) => ({
      key: JSON.stringify([groupId, o.topic, o.partition] satisfies OffsetKey),
      value: JSON.stringify(valueOf(o)),
      timestamp: o.commitTimestamp,
    }));
    await this.log.append(encodeRecordBatch(records));
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.log.append(encodeRecordBatch([{ key: JSON.stringify([groupId] satisfies OffsetKey), value: null }]));
  }

  async deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<void> {
    if (partitions.length === 0) return;
    await this.log.append(encodeRecordBatch(partitions.map((p) => ({ key: JSON.stringify([groupId, p.topic, p.partition] satisfies OffsetKey), value: null }))));
  }
}

function valueOf(o: StoredOffset): OffsetValue {
  const value: OffsetValue = { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestamp: o.commitTimestamp };
  if (o.topicId !== undefined) value.topicId = o.topicId;
  return value;
}
