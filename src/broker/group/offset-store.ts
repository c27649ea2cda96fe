/**
 * Where the group coordinator keeps committed offsets: a narrow interface (Kafka's
 * coordinator writes through `PartitionWriter` and never touches files), so the coordinator
 * stays a library with no files. The broker implements it over the internal log
 * `__consumer_offsets` (src/broker/offset-log-store.ts); `MemoryOffsetStore` serves tests and
 * brokers without a data folder.
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

export interface OffsetStore {
  load(): Promise<Iterable<StoredOffset>>;
  commit(groupId: string, offsets: StoredOffset[]): Promise<void>;
  deleteGroup(groupId: string): Promise<void>;
  /** Removes single offsets of a group (those of a deleted topic); same durability as commit(). */
  deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<void>;
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
