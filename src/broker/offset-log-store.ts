/**
 * Committed offsets kept in the internal log `__consumer_offsets-0`, as Kafka keeps them in
 * its `__consumer_offsets` topic: one record per committed partition, key = [group, topic,
 * partition], value = the offset and its metadata, or null (a tombstone) when a group is
 * deleted. At start the whole log is replayed and the last record per key wins. Commits are
 * flushed before they are acknowledged (the log is opened with flush.messages = 1, so commits
 * arriving together share one flush).
 */
import { encodeRecordBatch } from '../records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../records/record-iterator.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { OffsetStore, StoredOffset } from './group/offset-store.js';

type OffsetKey = [groupId: string, topic?: string, partition?: number];

interface OffsetValue {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}

export class OffsetLogStore implements OffsetStore {
  private readonly log: PartitionLog;

  constructor(log: PartitionLog) {
    this.log = log;
  }

  async load(): Promise<Iterable<StoredOffset>> {
    const latest = new Map<string, StoredOffset>();
    let offset = this.log.logStartOffset;
    while (offset < this.log.logEndOffset) {
      const read = this.log.read(offset, { maxBytes: 4 * 1024 * 1024 });
      for (const view of read.views) {
        for (const batch of iterateBatches(view)) {
          for (const record of iterateRecords(batch)) {
            if (record.offset < offset || !record.key) continue;
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
      }
      if (read.nextOffset <= offset) break;
      offset = read.nextOffset;
    }
    return latest.values();
  }

  async commit(groupId: string, offsets: StoredOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const records = offsets.map((o) => ({
      key: JSON.stringify([groupId, o.topic, o.partition] satisfies OffsetKey),
      value: JSON.stringify({ offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestamp: o.commitTimestamp } satisfies OffsetValue),
      timestamp: o.commitTimestamp,
    }));
    await this.log.append(encodeRecordBatch(records));
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.log.append(encodeRecordBatch([{ key: JSON.stringify([groupId] satisfies OffsetKey), value: null }]));
  }
}
