/**
 * What the admin port reads from a broker, computed when asked (a scrape, a console poll):
 * topics with per-partition offsets, sizes and segments; consumer groups with members,
 * decoded assignments, committed offsets and lag; records of one partition for the message
 * browser. Reads only; never on a data path. Knows the broker, not HTTP.
 */
import type { Broker } from '../broker/broker.js';
import { readableAssignment } from '../broker/group/consumer-protocol.js';
import { iterateBatches, iterateRecords } from '../records/record-iterator.js';

export interface PartitionView {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  sizeBytes: number;
  segments: number;
}

export interface TopicView {
  name: string;
  internal: boolean;
  partitions: PartitionView[];
}

export interface GroupLag {
  topic: string;
  partition: number;
  committedOffset: number;
  logEndOffset: number;
  lag: number;
}

export interface GroupView {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  generationId: number;
  members: Array<{ memberId: string; clientId: string; clientHost: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
  offsets: GroupLag[];
  totalLag: number;
}

export interface BrowsedRecord {
  offset: number;
  timestamp: number;
  /** Base64 of the bytes (the browser shows them as text, JSON or hex); null for a null key/value. */
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string | null }>;
}

export function topics(broker: Broker, includeInternal = true): TopicView[] {
  return broker
    .listTopics(includeInternal)
    .sort()
    .map((name) => {
      const d = broker.describeTopic(name);
      return {
        name,
        internal: d.internal,
        partitions: d.partitions.map((p) => ({ partition: p.partition, logStartOffset: p.logStartOffset, highWatermark: p.highWatermark, sizeBytes: p.sizeBytes, segments: p.segments })),
      };
    });
}

export function groups(broker: Broker): GroupView[] {
  const listed = broker.groups.listGroups().map((g) => g.groupId).sort();
  if (listed.length === 0) return [];
  return broker.groups.describeGroups(listed).map((g) => {
    const members = g.members.map((m) => {
      const assignment = readableAssignment(g.protocolType, m.memberAssignment);
      return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment };
    });
    const offsets: GroupLag[] = [];
    for (const c of broker.groups.committedOffsets(g.groupId)) {
      // The log end read from this broker's replica: in a cluster the coordinator may hold only
      // some partitions of the topic (and lead fewer); it does not know the others' log ends,
      // so they have no lag here (Broker.offsets would refuse them: not the leader).
      const replica = c.offset < 0 ? undefined : broker.localReplica(c.topic, c.partition);
      if (!replica) continue;
      const { highWatermark } = replica;
      offsets.push({ topic: c.topic, partition: c.partition, committedOffset: c.offset, logEndOffset: highWatermark, lag: Math.max(0, highWatermark - c.offset) });
    }
    offsets.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return {
      groupId: g.groupId,
      state: g.state,
      protocolType: g.protocolType,
      protocol: g.protocolName,
      generationId: g.generationId,
      members,
      offsets,
      totalLag: offsets.reduce((sum, o) => sum + o.lag, 0),
    };
  });
}

/** Up to `limit` records of a partition from `offset` (clamped to the log), for the message browser. */
export async function browse(broker: Broker, topic: string, partition: number, offset: number, limit: number): Promise<{ records: BrowsedRecord[]; logStartOffset: number; highWatermark: number }> {
  const bounds = broker.offsets(topic, partition);
  const from = Math.min(Math.max(offset, bounds.logStartOffset), bounds.highWatermark);
  const records: BrowsedRecord[] = [];
  let next = from;
  while (records.length < limit && next < bounds.highWatermark) {
    const result = await broker.fetch({ partitions: [{ topic, partition, fetchOffset: next, maxBytes: 1024 * 1024 }], maxWaitMs: 0, minBytes: 0, maxBytes: 4 * 1024 * 1024 });
    const p = result.partitions[0];
    if (!p || p.error || p.records.length === 0) break;
    const before = next;
    for (const view of p.records) {
      for (const batch of iterateBatches(view)) {
        for (const r of iterateRecords(batch)) {
          if (r.offset < next || records.length >= limit) continue;
          records.push({
            offset: r.offset,
            timestamp: r.timestamp,
            key: r.key === null ? null : r.key.toString('base64'),
            value: r.value === null ? null : r.value.toString('base64'),
            headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('base64') })),
          });
          next = r.offset + 1;
        }
      }
    }
    if (next === before) break;
  }
  return { records, logStartOffset: bounds.logStartOffset, highWatermark: bounds.highWatermark };
}
