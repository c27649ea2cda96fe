/**
 * The broker's vocabulary: what its two front doors (the embedded client in src/client and
 * the Kafka protocol server in src/protocol) send it and get back. Shaped after Kafka's
 * requests, minus the wire: offsets and timestamps are numbers, record sets are Buffers of
 * RecordBatch v2 bytes, errors are SkeinErrors with Kafka's names as codes.
 *
 * No sockets, no files here. Types only.
 */
import type { SkeinError } from '../errors.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

// Defined by the partition layer, which produces them; re-exported for the front doors.
export type { Acks, ProduceResult } from '../partition/types.js';

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  fetchOffset: number;
  /** Per-partition cap on bytes (the first batch is returned whole even if larger). */
  maxBytes: number;
  /**
   * The leader epoch the fetcher believes current (Fetch v9+, KIP-320): an older one fails the
   * partition with SKEIN_FENCED_LEADER_EPOCH, a newer one with SKEIN_UNKNOWN_LEADER_EPOCH.
   * -1 or absent: not checked.
   */
  currentLeaderEpoch?: number;
  /**
   * A follower's fetch only: the leader epoch of the last batch it holds (Fetch v12). The
   * leader answers `divergingEpoch` instead of records when its log does not hold that epoch
   * up to the fetch offset.
   */
  lastFetchedEpoch?: number;
}

export interface FetchRequest {
  partitions: FetchPartitionRequest[];
  /** Long poll: wait up to this long for `minBytes` to be available. 0 answers at once. */
  maxWaitMs: number;
  /** Answer as soon as this many bytes are available over all partitions (default 1). */
  minBytes?: number;
  /** Cap over all partitions (default 50 MiB, Kafka's fetch.max.bytes). */
  maxBytes?: number;
  /** Aborts the wait (consumer stopping, connection closed). */
  signal?: AbortSignal;
  /**
   * Kafka's replicaId: -1 (the default) for consumers, who read below the high watermark; a
   * broker's node id for a follower of the partitions, which reads up to the log end and
   * thereby tells the leader how far it is.
   */
  replicaId?: number;
}

export interface FetchPartitionResult {
  topic: string;
  partition: number;
  /** Set when this partition failed (unknown partition, offset out of range, ...). */
  error?: SkeinError;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** Whole RecordBatch v2 batches as zero-copy views; the first may start before fetchOffset. */
  records: Buffer[];
  /** Total bytes in `records`. */
  bytes: number;
  /**
   * A follower's fetch only: the follower's log diverged from the leader's after this epoch's
   * end offset (the largest epoch <= its lastFetchedEpoch that the leader knows, and where it
   * ends there). The follower truncates before fetching again (KIP-595's fetch-based truncation).
   */
  divergingEpoch?: { epoch: number; endOffset: number };
}

export interface FetchResult {
  partitions: FetchPartitionResult[];
}

export { LATEST_TIMESTAMP, EARLIEST_TIMESTAMP } from '../partition/types.js';

export interface ConfigEntry {
  name: string;
  value: string;
}

export interface NewTopic {
  topic: string;
  /** Default: the broker's num.partitions (1). */
  numPartitions?: number;
  /** Kafka topic configs by name: retention.ms, segment.bytes, cleanup.policy, ... */
  configEntries?: ConfigEntry[];
  /** Replicas per partition in a cluster; default (or -1): the cluster's default.replication.factor. */
  replicationFactor?: number;
  /** Explicit replicas (broker ids) per partition, in a cluster; the partition count is then its length. */
  replicaAssignment?: number[][];
}

export interface PartitionDescription {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  /** Grows with every leadership change (0 on a single broker). */
  leaderEpoch?: number;
  logStartOffset: number;
  /** Log end offset = high watermark on a single broker. */
  highWatermark: number;
  /** Bytes of batches held in the partition's segments (Kafka's kafka.log:type=Log,name=Size). */
  sizeBytes: number;
  /** Segment files (Kafka's NumLogSegments). */
  segments: number;
}

export interface TopicDescription {
  name: string;
  partitions: PartitionDescription[];
  internal: boolean;
}

export interface BrokerDescription {
  nodeId: number;
  host: string;
  port: number;
}

/* ---- Consumer groups (Kafka's classic protocol; member metadata and assignments are opaque bytes) ---- */

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  /** '' on first join. */
  memberId: string;
  groupInstanceId?: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** 'consumer' for Kafka consumers. */
  protocolType: string;
  protocols: GroupProtocol[];
  /**
   * Kafka JoinGroup v4+: a first join without memberId is answered with
   * SKEIN_MEMBER_ID_REQUIRED carrying the generated memberId. The embedded client passes false
   * and gets its memberId assigned in one step.
   */
  requireKnownMemberId?: boolean;
  clientId?: string;
  clientHost?: string;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  generationId: number;
  protocolType: string;
  protocolName: string;
  leader: string;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  protocolType?: string | null;
  protocolName?: string | null;
  /** The leader sends every member's assignment; followers send []. */
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface SyncGroupResult {
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  members: Array<{ memberId: string; groupInstanceId?: string | null }>;
}

export interface OffsetCommitRequest {
  groupId: string;
  /** -1 for commits from outside the group (admin, standalone consumers): accepted only while the group is empty. */
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch?: number; metadata?: string | null }>;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

export interface OffsetFetchRequest {
  groupId: string;
  /** null = every partition the group has committed. */
  partitions: TopicPartition[] | null;
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: GroupState;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  generationId: number;
  leader: string;
  members: GroupMemberDescription[];
}
