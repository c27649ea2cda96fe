/**
 * Committed offsets kept in the internal log `__consumer_offsets-0`, as Kafka keeps them in
 * its `__consumer_offsets` topic: one record per committed partition, key = [group, topic,
 * partition], value = the offset, its metadata and the topic id it was committed against, or
 * null (a tombstone) when the offset is deleted or the partition's topic is deleted; key =
 * [group] alone with a null value when the whole group is deleted. At start the whole log is
 * replayed and the last record per key wins. The log is compacted by the log cleaner (the
 * broker schedules it), which keeps exactly the last record per key, so it stops growing under
 * a commit loop. Deleting a group writes a tombstone for each offset of the group (what
 * compaction needs to forget them), then the legacy group tombstone [group] that older logs
 * relied on. Commits are acknowledged once appended (page cache) and flushed within a second
 * (see Broker.open).
 */
import { encodeRecordBatch } from '../records/encode-record-batch.js';
import { iterateRecords } from '../records/record-iterator.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { OffsetStore, StoredOffset } from './group/offset-store.js';

type OffsetKey = [groupId: string, topic?: string, partition?: number];

interface OffsetValue {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
  topicId?: string;
}

export class OffsetLogStore implements OffsetStore {
  private readonly log: PartitionLog;
  /** The keys (as stored) of each group's live offsets, for the tombstones of deleteGroup. */
  private readonly keysByGroup = new Map<string, Set<string>>();

  constructor(log: PartitionLog) {
    this.log = log;
  }

  async load(): Promise<Iterable<StoredOffset>> {
    const latest = await this.currentOffsets();
    for (const [key, o] of latest) this.noteKey(o.groupId, key);
    return latest.values();
  }

  private noteKey(groupId: string, key: string): void {
    let keys = this.keysByGroup.get(groupId);
    if (!keys) this.keysByGroup.set(groupId, (keys = new Set()));
    keys.add(key);
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

  async commit(groupId: string, offsets: StoredOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const records = offsets.map((o) => ({
      key: JSON.stringify([groupId, o.topic, o.partition] satisfies OffsetKey),
      value: JSON.stringify(valueOf(o)),
      timestamp: o.commitTimestamp,
    }));
    await this.log.append(encodeRecordBatch(records));
    for (const r of records) this.noteKey(groupId, r.key);
  }

  async deleteGroup(groupId: string): Promise<void> {
    const keys = [...(this.keysByGroup.get(groupId) ?? [])];
    const tombstones = keys.map((key) => ({ key, value: null }));
    tombstones.push({ key: JSON.stringify([groupId] satisfies OffsetKey), value: null });
    await this.log.append(encodeRecordBatch(tombstones));
    this.keysByGroup.delete(groupId);
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
