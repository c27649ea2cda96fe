/**
 * One member of a consumer group as the coordinator sees it (Kafka's MemberMetadata): its
 * identity, timeouts, the protocols it offered, its assignment in the current generation, and
 * the requests it has parked (a JoinGroup waiting for the rebalance to complete, SyncGroups
 * waiting for the leader's assignments) with its session timer.
 *
 * Owned by one Group, which alone changes it; lives from its first join until it leaves, is
 * fenced, or its session expires. Event loop only.
 */
import type { GroupProtocol, JoinGroupResult, SyncGroupResult } from '../types.js';
import type { SkeinError } from '../../errors.js';

/** A promise handed out now and settled later by the group. */
export class Parked<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: SkeinError) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

export interface MemberJoinDetails {
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
}

export class GroupMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  /** This generation's assignment; empty until the leader's SyncGroup. */
  assignment: Buffer = Buffer.alloc(0);
  pendingJoin: Parked<JoinGroupResult> | null = null;
  pendingSyncs: Array<Parked<SyncGroupResult>> = [];
  sessionTimer: NodeJS.Timeout | null = null;

  constructor(memberId: string, details: MemberJoinDetails) {
    this.memberId = memberId;
    this.groupInstanceId = details.groupInstanceId;
    this.clientId = details.clientId;
    this.clientHost = details.clientHost;
    this.sessionTimeoutMs = details.sessionTimeoutMs;
    this.rebalanceTimeoutMs = details.rebalanceTimeoutMs;
    this.protocolType = details.protocolType;
    this.protocols = details.protocols;
  }

  /** Takes what a rejoin may change (Kafka updates protocols and timeouts on every join). */
  update(details: MemberJoinDetails): void {
    this.clientId = details.clientId;
    this.clientHost = details.clientHost;
    this.sessionTimeoutMs = details.sessionTimeoutMs;
    this.rebalanceTimeoutMs = details.rebalanceTimeoutMs;
    this.protocolType = details.protocolType;
    this.protocols = details.protocols;
  }

  /** Same protocols, in the same order, with the same metadata bytes. */
  hasSameProtocols(protocols: readonly GroupProtocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata))
    );
  }

  metadataFor(protocolName: string): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? Buffer.alloc(0);
  }

  /** A member with a parked request is alive by definition: the rebalance, not its session, bounds the wait. */
  isParked(): boolean {
    return this.pendingJoin !== null || this.pendingSyncs.length > 0;
  }

  failParked(error: SkeinError): void {
    this.pendingJoin?.reject(error);
    this.pendingJoin = null;
    for (const sync of this.pendingSyncs) sync.reject(error);
    this.pendingSyncs = [];
  }
}
