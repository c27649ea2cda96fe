/**
 * Where the group coordinator keeps committed offsets and group metadata: a narrow interface
 * (Kafka's coordinator writes through `PartitionWriter` and never touches files), so the
 * coordinator stays a library with no files. The broker implements the partitioned kind over
 * the internal topic `__consumer_offsets` (offsets-topic-store.ts): the coordinator then owns
 * only the partitions it is told to load (becomeCoordinator/resign). `MemoryOffsetStore`
 * serves tests and brokers without a data folder: one store, everything owned.
 *
 * Contract, which the coordinator relies on:
 * - `load()` is called once, before anything else, and returns what survives: for each
 *   (groupId, topic, partition) the last committed entry, minus groups deleted since.
 * - `commit()` resolves only once the offsets are durable (under the store's policy); the
 *   coordinator acknowledges a commit only after that. A rejection means nothing of that call
 *   may be assumed stored.
 * - Calls for one group are never overlapped by the coordinator: it waits for one to settle
 *   before issuing the next, so the store needs no ordering of its own.
 */
import type { GroupMetadataValue } from './offsets-records.js';

export interface StoredOffset {
  groupId: string;
  topic: string;
  partition: number;
  offset: number;
  /** -1 when the committer did not know it. */
  leaderEpoch: number;
  metadata: string | null;
  /** Date.now() when the coordinator accepted the commit. */
  commitTimestamp: number;
  /**
   * The id of the topic's incarnation when the offset was committed (KIP-516). An offset whose
   * topic has since been deleted (and maybe re-created) no longer applies. Absent when the
   * topic did not exist or the offset predates topic ids.
   */
  topicId?: string;
}

/** A group's last stored generation (Kafka's GroupMetadataValue). */
export type StoredGroup = GroupMetadataValue & { groupId: string };

/** What one partition of a partitioned store holds: the offsets and the groups' last generations. */
export interface LoadedPartition {
  offsets: Iterable<StoredOffset>;
  groups: Iterable<StoredGroup>;
}

export interface OffsetStore {
  load(): Promise<Iterable<StoredOffset>>;
  /** Records a group's new generation (after a rebalance completes); optional. */
  storeGroup?(group: StoredGroup): Promise<void>;
  commit(groupId: string, offsets: StoredOffset[]): Promise<void>;
  deleteGroup(groupId: string): Promise<void>;
  /** Removes single offsets of a group (those of a deleted topic); same durability as commit(). */
  deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<void>;
}

/**
 * A store split into partitions (`__consumer_offsets`): the coordinator serves a group only
 * while it owns the group's partition, `partitionOf(groupId)`, and loads each partition it is
 * given with loadPartition instead of calling load().
 */
export interface PartitionedOffsetStore extends OffsetStore {
  readonly partitionCount: number;
  partitionOf(groupId: string): number;
  loadPartition(partition: number): Promise<LoadedPartition>;
}

export function isPartitioned(store: OffsetStore): store is PartitionedOffsetStore {
  return typeof (store as Partial<PartitionedOffsetStore>).loadPartition === 'function';
}

/** Offsets in a Map: survives a new coordinator over the same store, not a process exit. */
export class MemoryOffsetStore implements OffsetStore {
  private readonly groups = new Map<string, Map<string, StoredOffset>>();

  async load(): Promise<Iterable<StoredOffset>> {
    return [...this.groups.values()].flatMap((offsets) => [...offsets.values()].map((o) => ({ ...o })));
  }

  async commit(groupId: string, offsets: StoredOffset[]): Promise<void> {
    let group = this.groups.get(groupId);
    if (!group) this.groups.set(groupId, (group = new Map()));
    for (const o of offsets) group.set(`${o.topic}\u0000${o.partition}`, { ...o, groupId });
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.groups.delete(groupId);
  }

  async deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<void> {
    const group = this.groups.get(groupId);
    for (const p of partitions) group?.delete(`${p.topic}\u0000${p.partition}`);
  }
}
