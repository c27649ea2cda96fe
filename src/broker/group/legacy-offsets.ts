/**
 * Migration of the committed offsets of an older Skein, which kept them as JSON records in a
 * single log `__consumer_offsets-0` (key `[group, topic, partition]` → `{ offset, leaderEpoch,
 * metadata, commitTimestamp, topicId? }`, null = deleted; key `[group]` with a null value =
 * the whole group deleted), into Kafka's partitioned binary `__consumer_offsets`. Runs once, in
 * Broker.open, before anything is served (one broker; a broker about to join a cluster migrates
 * into its local topic the same way).
 *
 * Crash-safe in three steps, each of which a SIGKILL may cut:
 *   1. The old log is renamed `__consumer_offsets-json` (one atomic rename), freeing the name
 *      of the new topic's partition 0. A crash leaves either name, never both.
 *   2. For each group's latest offsets in the old log, one record is appended to the new topic
 *      unless the new topic already holds exactly that offset (written before a crash): so
 *      after any number of restarts every offset is in the new topic once. Then the new
 *      partitions are flushed.
 *   3. The old log is deleted. Until then, step 2 is repeated at each start and writes nothing.
 *
 * How a JSON log is recognised: `__consumer_offsets-0` whose first record's key starts with
 * `[` (Kafka's keys start with an int16 version, 0x00), or which is empty while no
 * `__consumer_offsets-1` exists (a single-partition log of the old layout).
 */
import type { LogManager } from '../../storage/log-manager.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import { iterateRecords } from '../../records/record-iterator.js';
import { CONSUMER_OFFSETS_TOPIC, partitionLogName } from '../topic-name.js';
import type { StoredOffset } from './offset-store.js';
import type { OffsetsTopicStore } from './offsets-topic-store.js';
import type { LocalOffsetsTopic } from './offsets-topic.js';

/** The old log, once set aside for migration. */
export const LEGACY_OFFSETS_LOG = `${CONSUMER_OFFSETS_TOPIC}-json`;

type LegacyKey = [groupId: string, topic?: string, partition?: number];

interface LegacyValue {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
  topicId?: string;
}

export interface MigrationResult {
  /** Offsets found in the old log (latest per key, deleted groups left out). */
  found: number;
  /** Offsets appended to the new topic by this run (fewer than found after a crash mid-way). */
  written: number;
}

/**
 * Migrates an old JSON offsets log if there is one; undefined when there is nothing to do.
 * `topic` and `store` are the broker's new local topic and the store over it.
 */
export async function migrateLegacyOffsets(logs: LogManager, topic: LocalOffsetsTopic, store: OffsetsTopicStore): Promise<MigrationResult | undefined> {
  const names = new Set(logs.listNames());
  const first = partitionLogName(CONSUMER_OFFSETS_TOPIC, 0);
  if (!names.has(LEGACY_OFFSETS_LOG) && names.has(first)) {
    const log = await logs.open(first);
    if (isJsonLog(log, names.has(partitionLogName(CONSUMER_OFFSETS_TOPIC, 1)))) await logs.rename(first, LEGACY_OFFSETS_LOG);
  }
  if (!new Set(logs.listNames()).has(LEGACY_OFFSETS_LOG)) return undefined;

  const legacy = readLegacyOffsets(await logs.open(LEGACY_OFFSETS_LOG));
  await topic.ensureCreated();
  const present = new Map<string, StoredOffset>();
  for (let p = 0; p < topic.partitionCount; p++) {
    for (const o of (await store.loadPartition(p)).offsets) present.set(keyOf(o), o);
  }
  const byGroup = new Map<string, StoredOffset[]>();
  for (const o of legacy) {
    if (same(present.get(keyOf(o)), o)) continue;
    let list = byGroup.get(o.groupId);
    if (!list) byGroup.set(o.groupId, (list = []));
    list.push(o);
  }
  let written = 0;
  for (const [groupId, offsets] of byGroup) {
    await store.commit(groupId, offsets);
    written += offsets.length;
  }
  for (let p = 0; p < topic.partitionCount; p++) await topic.partition(p)?.flush();
  await logs.delete(LEGACY_OFFSETS_LOG);
  return { found: legacy.length, written };
}

function isJsonLog(log: PartitionLog, hasSecondPartition: boolean): boolean {
  for (const batch of log.batchesFrom(log.logStartOffset)) {
    for (const record of iterateRecords(batch)) {
      if (record.key && record.key.length > 0) return record.key[0] === 0x5b; // '['
    }
  }
  return !hasSecondPartition;
}

/** Replays the JSON log: the last record per key wins, a group tombstone clears the group's earlier offsets. */
export function readLegacyOffsets(log: PartitionLog): StoredOffset[] {
  const latest = new Map<string, StoredOffset>();
  for (const batch of log.batchesFrom(log.logStartOffset)) {
    for (const record of iterateRecords(batch)) {
      if (!record.key) continue;
      let key: LegacyKey;
      let value: LegacyValue | null;
      try {
        key = JSON.parse(record.key.toString('utf8')) as LegacyKey;
        value = record.value ? (JSON.parse(record.value.toString('utf8')) as LegacyValue) : null;
      } catch {
        // Not JSON: nothing the old store could have read either.
        continue;
      }
      const [groupId, topic, partition] = key;
      if (topic === undefined) {
        for (const [k, o] of [...latest]) if (o.groupId === groupId) latest.delete(k);
        continue;
      }
      const mapKey = JSON.stringify([groupId, topic, partition]);
      if (!value) {
        latest.delete(mapKey);
        continue;
      }
      const stored: StoredOffset = {
        groupId,
        topic,
        partition: partition!,
        offset: value.offset,
        leaderEpoch: value.leaderEpoch,
        metadata: value.metadata ?? '',
        commitTimestamp: value.commitTimestamp,
      };
      if (value.topicId !== undefined) stored.topicId = value.topicId;
      latest.set(mapKey, stored);
    }
  }
  return [...latest.values()];
}

function keyOf(o: StoredOffset): string {
  return `${o.groupId}\u0000${o.topic}\u0000${o.partition}`;
}

function same(a: StoredOffset | undefined, b: StoredOffset): boolean {
  return (
    a !== undefined &&
    a.offset === b.offset &&
    a.leaderEpoch === b.leaderEpoch &&
    (a.metadata ?? '') === (b.metadata ?? '') &&
    a.commitTimestamp === b.commitTimestamp &&
    a.topicId === b.topicId
  );
}
