/**
 * One consumer group's membership state machine: Kafka's classic group protocol
 * (GroupCoordinator + GroupMetadata in Kafka's core, before KIP-848), minus the offsets,
 * which the GroupCoordinator keeps.
 *
 *   Empty ──join──▶ PreparingRebalance ──all rejoined / timeout──▶ CompletingRebalance
 *     ▲                  ▲      │ (nobody left)                        │ leader's SyncGroup
 *     └──────────────────┼──────┘                                      ▼
 *                        └──── join, leave, session expiry ◀──────── Stable
 *   (deleteGroups or close: any state ──▶ Dead)
 *
 * - PreparingRebalance parks every member's JoinGroup. It completes when every known member
 *   has rejoined (and every member id handed out with MEMBER_ID_REQUIRED has joined or
 *   expired), or when the largest rebalance timeout among the members has passed; members
 *   that did not rejoin are then removed. The first join of an Empty group instead waits
 *   `initialRebalanceDelayMs`, again for as long as new members keep arriving (bounded by the
 *   rebalance timeout), so consumers started together form one generation (Kafka's
 *   InitialDelayedJoin and group.initial.rebalance.delay.ms).
 * - Completing the join bumps the generation, picks the protocol (protocol-selection.ts) and
 *   answers every parked join; the leader's answer lists every member's metadata.
 * - CompletingRebalance parks followers' SyncGroups until the leader's SyncGroup brings the
 *   assignments; then Stable. Anything that rebalances the group meanwhile fails the parked
 *   syncs with SKEIN_REBALANCE_IN_PROGRESS.
 * - A member's session is refreshed by each join, sync, heartbeat and valid commit; when it
 *   runs out the member is removed and the group rebalances. A member with a parked request
 *   does not expire: the rebalance bounds its wait.
 * - Static members (groupInstanceId) may come back with a new member id, which replaces the
 *   old one; the old id is then fenced (SKEIN_FENCED_INSTANCE_ID).
 *
 * Lifecycle: created by the GroupCoordinator on a first join or commit, removed by
 * deleteGroups (Empty only) or close(). Concurrency: event loop only; every method runs to
 * completion synchronously and throws SkeinErrors synchronously; the only asynchrony is the
 * parked promises it hands out and its timers, all unref()'d and all cleared by shutdown().
 */
import { randomUUID } from 'node:crypto';
import { SkeinError, type ErrorCode } from '../../errors.js';
import type {
  GroupDescription,
  GroupListing,
  GroupState,
  JoinGroupMember,
  JoinGroupResult,
  SyncGroupRequest,
  SyncGroupResult,
} from '../types.js';
import { GroupMember, Parked, type MemberJoinDetails } from './group-member.js';
import { candidateProtocols, selectProtocol } from './protocol-selection.js';
import type { GroupMetadataValue } from './offsets-records.js';

export interface GroupOptions {
  groupId: string;
  initialRebalanceDelayMs: number;
  /**
   * Told each new generation once it is settled (Stable with the leader's assignments, or
   * Empty after the last member left), to store it as Kafka's GroupMetadataValue.
   */
  onGeneration?: (value: GroupMetadataValue) => void;
  /**
   * The generation loaded from the store (a group whose coordinator moved, or after a
   * restart), Kafka's GroupMetadataValue. With members and a protocol the group starts Stable
   * in that generation with those members, their assignments and the chosen protocol, each
   * member's session starting now (Kafka's GroupMetadata.loadGroup): consumers that heartbeat
   * the new coordinator within their session carry on without a rebalance, and those that do
   * not expire and the group rebalances. Without members it starts Empty in that generation.
   */
  restored?: Pick<GroupMetadataValue, 'protocolType' | 'generation'> & Partial<Pick<GroupMetadataValue, 'protocol' | 'leader' | 'members'>>;
}

export class Group {
  readonly groupId: string;
  private currentState: GroupState = 'Empty';
  private currentGeneration = 0;
  private protocolType: string | null = null;
  private protocolName: string | null = null;
  private leaderId: string | null = null;
  /** In join order: the oldest member becomes leader when the leader goes. */
  private readonly members = new Map<string, GroupMember>();
  /** groupInstanceId → the member id that currently holds it. */
  private readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined, each with its expiry. */
  private readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  private joinTimer: NodeJS.Timeout | null = null;
  /** Set while the first join of an Empty group waits for others (Kafka's InitialDelayedJoin). */
  private initialDelay: { remainingMs: number; newMemberAdded: boolean } | null = null;
  private readonly initialRebalanceDelayMs: number;
  private readonly onGeneration: ((value: GroupMetadataValue) => void) | undefined;

  constructor(options: GroupOptions) {
    this.groupId = options.groupId;
    this.initialRebalanceDelayMs = options.initialRebalanceDelayMs;
    this.onGeneration = options.onGeneration;
    if (options.restored) {
      this.currentGeneration = options.restored.generation;
      this.protocolType = options.restored.protocolType === '' ? null : options.restored.protocolType;
      this.restoreMembers(options.restored);
    }
  }

  private restoreMembers(restored: NonNullable<GroupOptions['restored']>): void {
    const { protocol, members } = restored;
    if (!protocol || !members || members.length === 0) return;
    for (const m of members) {
      const member = new GroupMember(m.memberId, {
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeout,
        rebalanceTimeoutMs: m.rebalanceTimeout,
        protocolType: restored.protocolType,
        // Only the chosen protocol's subscription is stored (as in Kafka).
        protocols: [{ name: protocol, metadata: m.subscription }],
      });
      member.assignment = m.assignment;
      this.members.set(m.memberId, member);
      if (m.groupInstanceId !== null) this.staticMembers.set(m.groupInstanceId, m.memberId);
      this.touchSession(member);
    }
    this.protocolName = protocol;
    this.leaderId = restored.leader !== null && restored.leader !== undefined && this.members.has(restored.leader) ? restored.leader : this.members.keys().next().value!;
    this.currentState = 'Stable';
  }

  get state(): GroupState {
    return this.currentState;
  }

  /** Nothing here worth keeping: no members, no member ids handed out, never got past generation 0. */
  isUnused(): boolean {
    return this.currentState === 'Empty' && this.pendingMembers.size === 0 && this.currentGeneration === 0 && this.protocolType === null;
  }

  /* ---- JoinGroup ---- */

  /** Throws at once for a join that cannot be parked; otherwise answers when the rebalance completes. */
  join(memberId: string, requireKnownMemberId: boolean, details: MemberJoinDetails): Promise<JoinGroupResult> {
    if (!this.supportsProtocols(memberId, details)) {
      throw this.error('SKEIN_INCONSISTENT_GROUP_PROTOCOL', `protocol type ${details.protocolType} and protocols [${details.protocols.map((p) => p.name).join(', ')}] share nothing with the group's`, { memberId });
    }
    return memberId === '' ? this.joinNewMember(requireKnownMemberId, details) : this.joinKnownMember(memberId, details);
  }

  private joinNewMember(requireKnownMemberId: boolean, details: MemberJoinDetails): Promise<JoinGroupResult> {
    const memberId = `${details.clientId || 'member'}-${randomUUID()}`;
    if (details.groupInstanceId !== null) {
      // Static members skip MEMBER_ID_REQUIRED, as in Kafka: the instance id already names them.
      const previous = this.staticMembers.get(details.groupInstanceId);
      if (previous !== undefined) return this.replaceStaticMember(this.members.get(previous)!, memberId, details);
      return this.addMemberAndRebalance(memberId, details);
    }
    if (requireKnownMemberId) {
      this.addPendingMember(memberId, details.sessionTimeoutMs);
      throw this.error('SKEIN_MEMBER_ID_REQUIRED', 'rejoin with the member id this error carries', { memberId });
    }
    return this.addMemberAndRebalance(memberId, details);
  }

  private joinKnownMember(memberId: string, details: MemberJoinDetails): Promise<JoinGroupResult> {
    const pendingTimer = this.pendingMembers.get(memberId);
    if (pendingTimer !== undefined) {
      clearTimeout(pendingTimer);
      this.pendingMembers.delete(memberId);
      return this.addMemberAndRebalance(memberId, details);
    }
    const member = this.currentMember(memberId, details.groupInstanceId);
    this.touchSession(member);
    switch (this.currentState) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(member, details);
      case 'CompletingRebalance':
        // A member that lost its join answer asks again: same answer, no new rebalance.
        if (member.hasSameProtocols(details.protocols)) return Promise.resolve(this.joinResultFor(member));
        return this.updateMemberAndRebalance(member, details);
      case 'Stable':
        // The leader rejoins to force a rebalance (it saw metadata change); so does a member whose subscription changed.
        if (member.memberId === this.leaderId || !member.hasSameProtocols(details.protocols)) return this.updateMemberAndRebalance(member, details);
        return Promise.resolve(this.joinResultFor(member));
      default:
        throw this.error('SKEIN_UNKNOWN_MEMBER_ID', `member ${memberId} is not in the group`, { memberId });
    }
  }

  private addMemberAndRebalance(memberId: string, details: MemberJoinDetails): Promise<JoinGroupResult> {
    const member = new GroupMember(memberId, details);
    if (this.members.size === 0) this.protocolType = details.protocolType;
    this.members.set(memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, memberId);
    this.leaderId ??= memberId;
    if (this.initialDelay) this.initialDelay.newMemberAdded = true;
    return this.parkJoinAndRebalance(member);
  }

  private updateMemberAndRebalance(member: GroupMember, details: MemberJoinDetails): Promise<JoinGroupResult> {
    member.update(details);
    if (this.members.size === 1) this.protocolType = details.protocolType;
    return this.parkJoinAndRebalance(member);
  }

  private parkJoinAndRebalance(member: GroupMember): Promise<JoinGroupResult> {
    // A second join from the same member replaces the first, whose client has given up on it.
    member.pendingJoin?.reject(this.error('SKEIN_REBALANCE_IN_PROGRESS', 'a newer JoinGroup from the same member replaced this one', { memberId: member.memberId }));
    const parked = new Parked<JoinGroupResult>();
    member.pendingJoin = parked;
    this.touchSession(member);
    this.maybePrepareRebalance();
    this.tryCompleteJoin();
    return parked.promise;
  }

  /**
   * A static member restarted: the new member id takes over the old member's place (and its
   * assignment); whatever the old id had parked is fenced.
   */
  private replaceStaticMember(member: GroupMember, newMemberId: string, details: MemberJoinDetails): Promise<JoinGroupResult> {
    const oldMemberId = member.memberId;
    member.failParked(this.error('SKEIN_FENCED_INSTANCE_ID', `instance ${details.groupInstanceId} rejoined as another member`, { memberId: oldMemberId, groupInstanceId: details.groupInstanceId }));
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    member.update(details);
    this.members.set(newMemberId, member);
    this.staticMembers.set(details.groupInstanceId!, newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.touchSession(member);
    switch (this.currentState) {
      case 'Stable':
        // Hand the member its old place without disturbing the others: static membership
        // exists for exactly this. Only a change of the group's protocol forces a rebalance
        // (Kafka's rule). The metadata bytes are not compared: a restarted consumer always
        // reports another generation and no owned partitions, so they always differ.
        if (selectProtocol([...this.members.values()], this.members.get(this.leaderId!)!) === this.protocolName) {
          return Promise.resolve(this.joinResultFor(member, { withMembers: false }));
        }
        return this.parkJoinAndRebalance(member);
      case 'CompletingRebalance':
        // The leader may be assigning to the old member id, which no longer exists: start over (as Kafka does).
        this.prepareRebalance();
        return this.parkJoinAndRebalance(member);
      default:
        return this.parkJoinAndRebalance(member);
    }
  }

  private addPendingMember(memberId: string, sessionTimeoutMs: number): void {
    const timer = setTimeout(() => {
      this.pendingMembers.delete(memberId);
      this.tryCompleteJoin();
    }, sessionTimeoutMs);
    timer.unref();
    this.pendingMembers.set(memberId, timer);
  }

  private supportsProtocols(memberId: string, details: MemberJoinDetails): boolean {
    if (details.protocolType === '' || details.protocols.length === 0) return false;
    // A rejoining member is checked against the others: its own old protocols do not bind it.
    const others = [...this.members.values()].filter((m) => m.memberId !== memberId);
    if (others.length === 0) return true;
    if (details.protocolType !== this.protocolType) return false;
    const candidates = new Set(candidateProtocols(others));
    return details.protocols.some((p) => candidates.has(p.name));
  }

  /* ---- Rebalance ---- */

  private maybePrepareRebalance(): void {
    if (this.currentState === 'Empty' || this.currentState === 'Stable' || this.currentState === 'CompletingRebalance') this.prepareRebalance();
  }

  private prepareRebalance(): void {
    if (this.currentState === 'CompletingRebalance') {
      const error = this.error('SKEIN_REBALANCE_IN_PROGRESS', 'the group started another rebalance before the leader sent assignments');
      for (const member of this.members.values()) {
        member.assignment = Buffer.alloc(0);
        for (const sync of member.pendingSyncs) sync.reject(error);
        member.pendingSyncs = [];
      }
    }
    const rebalanceTimeoutMs = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    if (this.currentState === 'Empty') {
      this.initialDelay = { remainingMs: Math.max(rebalanceTimeoutMs - this.initialRebalanceDelayMs, 0), newMemberAdded: false };
      this.startJoinTimer(this.initialRebalanceDelayMs);
    } else {
      this.startJoinTimer(rebalanceTimeoutMs);
    }
    this.currentState = 'PreparingRebalance';
  }

  private startJoinTimer(delayMs: number): void {
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = setTimeout(() => this.onJoinTimer(), delayMs);
    this.joinTimer.unref();
  }

  private onJoinTimer(): void {
    this.joinTimer = null;
    const delay = this.initialDelay;
    if (delay) {
      if (delay.newMemberAdded && delay.remainingMs > 0) {
        const nextMs = Math.min(this.initialRebalanceDelayMs, delay.remainingMs);
        delay.remainingMs -= nextMs;
        delay.newMemberAdded = false;
        this.startJoinTimer(nextMs);
        return;
      }
      this.initialDelay = null;
    }
    this.completeJoin();
  }

  private tryCompleteJoin(): void {
    if (this.currentState !== 'PreparingRebalance' || this.initialDelay !== null || this.pendingMembers.size > 0) return;
    for (const member of this.members.values()) if (!member.pendingJoin) return;
    this.completeJoin();
  }

  private completeJoin(): void {
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = null;
    this.initialDelay = null;
    for (const member of [...this.members.values()]) {
      if (!member.pendingJoin) this.removeMember(member, this.error('SKEIN_UNKNOWN_MEMBER_ID', 'the member did not rejoin in time and was removed', { memberId: member.memberId }));
    }
    this.currentGeneration += 1;
    if (this.members.size === 0) {
      this.currentState = 'Empty';
      this.protocolName = null;
      this.leaderId = null;
      this.onGeneration?.(this.metadataValue());
      return;
    }
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value!;
    // Never null: every join was checked to share a protocol with all other members.
    this.protocolName = selectProtocol([...this.members.values()], this.members.get(this.leaderId)!)!;
    this.currentState = 'CompletingRebalance';
    for (const member of this.members.values()) {
      member.assignment = Buffer.alloc(0);
      member.pendingJoin!.resolve(this.joinResultFor(member));
      member.pendingJoin = null;
      this.touchSession(member);
    }
  }

  private joinResultFor(member: GroupMember, { withMembers = true } = {}): JoinGroupResult {
    const isLeader = member.memberId === this.leaderId;
    const members: JoinGroupMember[] =
      isLeader && withMembers
        ? [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(this.protocolName!) }))
        : [];
    return {
      generationId: this.currentGeneration,
      protocolType: this.protocolType!,
      protocolName: this.protocolName!,
      leader: this.leaderId!,
      memberId: member.memberId,
      members,
    };
  }

  /* ---- SyncGroup ---- */

  sync(request: SyncGroupRequest): Promise<SyncGroupResult> {
    const member = this.currentMember(request.memberId, request.groupInstanceId ?? null);
    if (request.generationId !== this.currentGeneration) throw this.illegalGeneration(request.generationId, member.memberId);
    if ((request.protocolType != null && request.protocolType !== this.protocolType) || (request.protocolName != null && request.protocolName !== this.protocolName)) {
      throw this.error('SKEIN_INCONSISTENT_GROUP_PROTOCOL', `SyncGroup for ${request.protocolType}/${request.protocolName}, the group uses ${this.protocolType}/${this.protocolName}`, { memberId: member.memberId });
    }
    switch (this.currentState) {
      case 'PreparingRebalance':
        throw this.error('SKEIN_REBALANCE_IN_PROGRESS', 'the group is rebalancing: rejoin', { memberId: member.memberId });
      case 'CompletingRebalance': {
        this.touchSession(member);
        const parked = new Parked<SyncGroupResult>();
        member.pendingSyncs.push(parked);
        if (member.memberId === this.leaderId) this.completeSync(request.assignments);
        return parked.promise;
      }
      default:
        // Stable: a member asking again (or a static member back in its old place) gets the current assignment.
        this.touchSession(member);
        return Promise.resolve(this.syncResultFor(member));
    }
  }

  private completeSync(assignments: SyncGroupRequest['assignments']): void {
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    this.currentState = 'Stable';
    for (const member of this.members.values()) {
      // Kafka gives a member the leader left out an empty assignment.
      member.assignment = given.get(member.memberId) ?? Buffer.alloc(0);
      for (const sync of member.pendingSyncs) sync.resolve(this.syncResultFor(member));
      member.pendingSyncs = [];
    }
    this.onGeneration?.(this.metadataValue());
  }

  /** The group as Kafka stores it in __consumer_offsets (GroupMetadataValue). */
  metadataValue(): GroupMetadataValue {
    return {
      protocolType: this.protocolType ?? '',
      generation: this.currentGeneration,
      protocol: this.protocolName,
      leader: this.leaderId,
      currentStateTimestamp: Date.now(),
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: this.protocolName === null ? Buffer.alloc(0) : m.metadataFor(this.protocolName),
        assignment: m.assignment,
      })),
    };
  }

  private syncResultFor(member: GroupMember): SyncGroupResult {
    return { protocolType: this.protocolType, protocolName: this.protocolName, assignment: member.assignment };
  }

  /* ---- Heartbeat, LeaveGroup, offset commits ---- */

  heartbeat(memberId: string, groupInstanceId: string | null, generationId: number): void {
    const member = this.currentMember(memberId, groupInstanceId);
    if (generationId !== this.currentGeneration) throw this.illegalGeneration(generationId, memberId);
    this.touchSession(member);
    if (this.currentState === 'PreparingRebalance' || this.currentState === 'CompletingRebalance') {
      throw this.error('SKEIN_REBALANCE_IN_PROGRESS', 'the group is rebalancing: rejoin', { memberId });
    }
  }

  /** Leaves by member id, or (Kafka LeaveGroup v3+) by instance id with memberId ''. */
  leave(memberId: string, groupInstanceId: string | null): void {
    if (groupInstanceId !== null) {
      const holder = this.staticMembers.get(groupInstanceId);
      if (holder === undefined) throw this.error('SKEIN_UNKNOWN_MEMBER_ID', `no member has instance id ${groupInstanceId}`, { memberId, groupInstanceId });
      if (memberId !== '' && memberId !== holder) throw this.fenced(memberId, groupInstanceId);
      memberId = holder;
    }
    const pendingTimer = this.pendingMembers.get(memberId);
    if (pendingTimer !== undefined) {
      clearTimeout(pendingTimer);
      this.pendingMembers.delete(memberId);
      this.tryCompleteJoin();
      return;
    }
    const member = this.members.get(memberId);
    if (!member) throw this.error('SKEIN_UNKNOWN_MEMBER_ID', `member ${memberId} is not in the group`, { memberId });
    this.removeMemberAndUpdateGroup(member, this.error('SKEIN_UNKNOWN_MEMBER_ID', 'the member left the group', { memberId }));
  }

  /**
   * Kafka's rules for OffsetCommit: generation -1 (admin tools, consumers without group
   * management) only while the group is Empty; otherwise a current member of the current
   * generation, and not while the leader is still assigning (the member would commit for
   * partitions it may be about to lose). During PreparingRebalance commits are accepted:
   * that is when eager consumers commit before giving their partitions up.
   */
  validateOffsetCommit(generationId: number, memberId: string, groupInstanceId: string | null): void {
    if (generationId < 0 && this.currentState === 'Empty') return;
    if (generationId < 0 && memberId === '' && groupInstanceId === null) {
      throw this.error('SKEIN_UNKNOWN_MEMBER_ID', 'a commit without a member id is accepted only while the group is empty', { memberId });
    }
    const member = this.currentMember(memberId, groupInstanceId);
    if (generationId !== this.currentGeneration) throw this.illegalGeneration(generationId, memberId);
    if (this.currentState === 'CompletingRebalance') {
      throw this.error('SKEIN_REBALANCE_IN_PROGRESS', 'the leader has not sent this generation\'s assignments yet', { memberId });
    }
    this.touchSession(member);
  }

  /* ---- Removal and sessions ---- */

  private removeMemberAndUpdateGroup(member: GroupMember, error: SkeinError): void {
    this.removeMember(member, error);
    if (this.currentState === 'Stable' || this.currentState === 'CompletingRebalance') this.prepareRebalance();
    this.tryCompleteJoin();
  }

  private removeMember(member: GroupMember, error: SkeinError): void {
    member.failParked(error);
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    this.members.delete(member.memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === member.memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === member.memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  private touchSession(member: GroupMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => this.onSessionExpired(member), member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  private onSessionExpired(member: GroupMember): void {
    member.sessionTimer = null;
    if (this.members.get(member.memberId) !== member) return;
    if (member.isParked()) {
      this.touchSession(member);
      return;
    }
    this.removeMemberAndUpdateGroup(member, this.error('SKEIN_UNKNOWN_MEMBER_ID', 'the member\'s session expired', { memberId: member.memberId }));
  }

  /** The member the request names, unless its instance id now belongs to another member (fenced). */
  private currentMember(memberId: string, groupInstanceId: string | null): GroupMember {
    if (groupInstanceId !== null) {
      const holder = this.staticMembers.get(groupInstanceId);
      if (holder !== undefined && holder !== memberId) throw this.fenced(memberId, groupInstanceId);
    }
    const member = this.members.get(memberId);
    if (!member) throw this.error('SKEIN_UNKNOWN_MEMBER_ID', `member ${memberId} is not in the group`, { memberId });
    return member;
  }

  /** Ends the group (deleted, or the coordinator closed): parked requests fail with `error`, every timer stops. */
  shutdown(error: SkeinError): void {
    for (const member of this.members.values()) {
      member.failParked(error);
      if (member.sessionTimer) clearTimeout(member.sessionTimer);
      member.sessionTimer = null;
    }
    for (const timer of this.pendingMembers.values()) clearTimeout(timer);
    this.pendingMembers.clear();
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = null;
    this.initialDelay = null;
    this.members.clear();
    this.staticMembers.clear();
    this.currentState = 'Dead';
  }

  /* ---- Views ---- */

  listing(): GroupListing {
    return { groupId: this.groupId, protocolType: this.protocolType ?? '', state: this.currentState };
  }

  /** As Kafka's DescribeGroups: member metadata, assignments and the protocol only once Stable. */
  describe(): GroupDescription {
    const stable = this.currentState === 'Stable';
    return {
      groupId: this.groupId,
      state: this.currentState,
      protocolType: this.protocolType ?? '',
      protocolName: stable ? this.protocolName! : '',
      generationId: this.currentGeneration,
      leader: this.leaderId ?? '',
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(this.protocolName!) : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  private illegalGeneration(generationId: number, memberId: string): SkeinError {
    return this.error('SKEIN_ILLEGAL_GENERATION', `generation ${generationId} is not the group's generation ${this.currentGeneration}`, { memberId, generationId });
  }

  private fenced(memberId: string, groupInstanceId: string): SkeinError {
    return this.error('SKEIN_FENCED_INSTANCE_ID', `instance ${groupInstanceId} now belongs to another member`, { memberId, groupInstanceId });
  }

  private error(code: ErrorCode, message: string, context: Record<string, unknown> = {}): SkeinError {
    return new SkeinError(code, `group ${this.groupId}: ${message}`, { groupId: this.groupId, ...context });
  }
}
