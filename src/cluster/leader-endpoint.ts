/**
 * How a follower reaches the leader of the partitions it replicates (Kafka's LeaderEndPoint):
 * one endpoint per leader broker, used by that leader's ReplicaFetcher. The broker wires it to
 * a real Kafka-protocol connection (src/protocol/peer/), so this layer speaks in plain
 * numbers, Buffers of RecordBatch v2 bytes and SkeinErrors, never in Kafka types or codes.
 *
 * An endpoint (re)connects by itself: `fetch` on a broken connection tries to connect again
 * (to the address `resolve` gives now, since a restarted leader may listen elsewhere) and
 * rejects with SKEIN_DISCONNECTED when it cannot; the fetcher backs off and calls again.
 */
import type { SkeinError } from '../errors.js';
import type { BrokerEndpoint } from './metadata-cache.js';

export interface ReplicaFetchPartition {
  topic: string;
  partition: number;
  /** The follower's log end offset: the leader learns from it how far the follower is. */
  fetchOffset: number;
  /** The leader epoch the follower believes current (KIP-320 fencing). */
  currentLeaderEpoch: number;
  /** The follower's log start offset. */
  logStartOffset: number;
  /** Leader epoch of the follower's last batch (-1: none): lets the leader detect a diverged log. */
  lastFetchedEpoch: number;
  maxBytes: number;
}

export interface ReplicaFetchRequest {
  /** The follower's node id (Fetch's replicaId: >= 0 marks a replica, not a consumer). */
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitions: ReplicaFetchPartition[];
}

export interface ReplicaFetchResult {
  topic: string;
  partition: number;
  /** The leader's error for this partition (SKEIN_NOT_LEADER_OR_FOLLOWER, SKEIN_OFFSET_OUT_OF_RANGE, ...). */
  error?: SkeinError;
  highWatermark: number;
  logStartOffset: number;
  /** Whole batches from the leader's log, as received (one view of the response). */
  records: Buffer | undefined;
  /** The follower's log diverged after this epoch's end on the leader: truncate, then fetch again. */
  divergingEpoch?: { epoch: number; endOffset: number };
}

/** Where one epoch of the follower's log ends on the leader (OffsetForLeaderEpoch). */
export interface EpochEndQuery {
  topic: string;
  partition: number;
  /** The leader epoch the follower believes current (fencing). */
  currentLeaderEpoch: number;
  /** The epoch of the follower's last batch. */
  leaderEpoch: number;
}

export interface EpochEndAnswer {
  topic: string;
  partition: number;
  error?: SkeinError;
  /** The largest epoch <= the one asked that the leader knows (-1: none). */
  leaderEpoch: number;
  /** Where that epoch ends on the leader (-1: unknown). */
  endOffset: number;
}

export interface LeaderEndpoint {
  readonly leaderId: number;
  /** One Fetch to the leader; per-partition results in request order. */
  fetch(request: ReplicaFetchRequest): Promise<ReplicaFetchResult[]>;
  /** One OffsetForLeaderEpoch to the leader (KIP-101/279): where each asked epoch ends there. */
  endOffsetsForEpochs(replicaId: number, queries: EpochEndQuery[]): Promise<EpochEndAnswer[]>;
  /** Closes the connection; a fetch in flight rejects. */
  close(): void;
}

/**
 * Makes the endpoint of one leader broker; `resolve` gives the leader's registered address at
 * the time of each connect (undefined while it is not registered).
 */
export type LeaderEndpointFactory = (leaderId: number, resolve: () => BrokerEndpoint | undefined) => LeaderEndpoint;
