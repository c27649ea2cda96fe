/**
 * The consumer's membership of its group, Kafka's classic protocol against the broker's
 * GroupCoordinator: join, sync (this member computes the assignment when it is the leader,
 * with the assignor the group chose), heartbeats on a timer of their own so a slow handler
 * does not cost the membership, a rejoin whenever the coordinator answers
 * REBALANCE_IN_PROGRESS, and the assignment applied to the cursors (revoked partitions
 * committed and forgotten, new ones started from their committed offset, a pending seek, or
 * the reset policy). The default assignor is cooperative-sticky: members keep the partitions
 * they are not asked to give up; a partition that moves is first revoked, then assigned.
 * Event-loop thread only.
 */
import { SkeinError } from '../../errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type TopicPartition } from '../../broker/types.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../broker/group/consumer-protocol.js';
import type { OffsetCommits } from './commits.js';
import { partitionKey, type ConsumerState } from './state.js';
import type { PartitionCursor } from './types.js';

export class GroupMembership {
  private readonly state: ConsumerState;
  private commits!: OffsetCommits;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(state: ConsumerState) {
    this.state = state;
  }

  /** Set once by the Consumer (commits and membership need each other). */
  useCommits(commits: OffsetCommits): void {
    this.commits = commits;
  }

  get rebalanceProtocol(): 'eager' | 'cooperative' {
    const { assignors } = this.state.config;
    const chosen = assignors.find((a) => a.name === this.state.protocolName) ?? assignors[0]!;
    return chosen.rebalanceProtocol;
  }

  private async subscribedTopics(): Promise<string[]> {
    const state = this.state;
    const all = state.broker.listTopics();
    const topics = new Set<string>();
    for (const s of state.subscriptions) {
      if (typeof s === 'string') {
        await state.broker.ensureTopic(s, state.config.allowAutoTopicCreation);
        topics.add(s);
      } else {
        for (const t of all) if (s.test(t)) topics.add(t);
      }
    }
    return [...topics].sort();
  }

  async joinAndSync(): Promise<void> {
    const state = this.state;
    const config = state.config;
    state.status = 'joining';
    state.needsJoin = false;
    if (this.rebalanceProtocol === 'eager' && state.cursors.size > 0) {
      // Eager protocols give every partition back before rejoining.
      await this.revoke([...state.cursors.values()]);
    }
    const topics = await this.subscribedTopics();
    const owned = this.ownedPartitions();
    const protocols = config.assignors.map((assignor) => ({
      name: assignor.name,
      metadata: encodeSubscription({
        version: assignor.subscriptionVersion,
        topics,
        userData: null,
        ownedPartitions: assignor.rebalanceProtocol === 'cooperative' ? owned : [],
        generationId: state.generationId,
        rackId: null,
      }),
    }));
    const joined = await state.broker.groups.joinGroup({
      groupId: config.groupId,
      memberId: state.memberId,
      groupInstanceId: config.groupInstanceId,
      sessionTimeoutMs: config.sessionTimeout,
      rebalanceTimeoutMs: config.rebalanceTimeout,
      protocolType: 'consumer',
      protocols,
      requireKnownMemberId: false,
      clientId: config.clientId,
      clientHost: 'embedded',
    });
    state.memberId = joined.memberId;
    state.generationId = joined.generationId;
    state.protocolName = joined.protocolName;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (joined.leader === joined.memberId) assignments = this.computeAssignments(joined.protocolName, joined.members);
    const synced = await state.broker.groups.syncGroup({
      groupId: config.groupId,
      generationId: joined.generationId,
      memberId: joined.memberId,
      groupInstanceId: config.groupInstanceId,
      protocolType: 'consumer',
      protocolName: joined.protocolName,
      assignments,
    });
    const assigned = synced.assignment.length > 0 ? decodeAssignment(synced.assignment).assignedPartitions : [];
    await this.applyAssignment(assigned.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition }))));
    state.status = 'consuming';
    state.emit('consumer.group_join', {
      groupId: config.groupId,
      memberId: state.memberId,
      leaderId: joined.leader,
      isLeader: joined.leader === joined.memberId,
      generationId: state.generationId,
      groupProtocol: state.protocolName,
      memberAssignment: this.assignment(),
    });
  }

  /** Partitions assigned to this member now. */
  assignment(): TopicPartition[] {
    return [...this.state.cursors.values()].map((c) => ({ topic: c.topic, partition: c.partition }));
  }

  /** The leader's job in Kafka's classic protocol: run the chosen assignor over every member's subscription. */
  private computeAssignments(protocolName: string, members: Array<{ memberId: string; metadata: Buffer }>) {
    const broker = this.state.broker;
    const assignor = this.state.config.assignors.find((a) => a.name === protocolName);
    if (!assignor) throw new SkeinError('SKEIN_INCONSISTENT_GROUP_PROTOCOL', `this consumer has no assignor ${protocolName}`);
    const decoded = members.map((m) => ({ memberId: m.memberId, subscription: decodeSubscription(m.metadata) }));
    const partitionsPerTopic = new Map<string, number>();
    for (const { subscription } of decoded) {
      for (const topic of subscription.topics) {
        if (broker.hasTopic(topic)) partitionsPerTopic.set(topic, broker.partitionCount(topic));
      }
    }
    const plan = assignor.assign(decoded, partitionsPerTopic);
    return decoded.map((m) => ({
      memberId: m.memberId,
      assignment: encodeAssignment({ version: assignor.assignmentVersion, assignedPartitions: plan.get(m.memberId) ?? [], userData: null }),
    }));
  }

  private async applyAssignment(assigned: TopicPartition[]): Promise<void> {
    const state = this.state;
    const wanted = new Set(assigned.map((tp) => partitionKey(tp.topic, tp.partition)));
    const revoked = [...state.cursors.values()].filter((c) => !wanted.has(c.key));
    if (revoked.length > 0) {
      await this.revoke(revoked);
      // Cooperative protocol: partitions given up are assigned to others in a follow-up rebalance.
      if (this.rebalanceProtocol === 'cooperative') state.needsJoin = true;
    }
    const added = assigned.filter((tp) => !state.cursors.has(partitionKey(tp.topic, tp.partition)));
    if (added.length > 0) {
      const committed = await state.broker.groups.fetchOffsets({ groupId: state.config.groupId, partitions: added });
      for (const tp of added) {
        const k = partitionKey(tp.topic, tp.partition);
        const c = committed.find((o) => o.topic === tp.topic && o.partition === tp.partition);
        const start = state.pendingSeeks.get(k) ?? (c && c.offset >= 0 ? c.offset : this.resetOffset(tp.topic, tp.partition));
        state.pendingSeeks.delete(k);
        state.cursors.set(k, { topic: tp.topic, partition: tp.partition, key: k, position: start, committed: c?.offset ?? -1, seekEpoch: 0 });
      }
      state.emit('consumer.assigned', added);
    }
  }

  /** The offset autoOffsetReset starts a partition from (no commit, or out of range). */
  resetOffset(topic: string, partition: number): number {
    const state = this.state;
    return state.broker.listOffsets(topic, partition, state.autoOffsetReset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP).offset;
  }

  /** Commits the positions of partitions being given up (when auto-committing), then forgets them. */
  private async revoke(cursors: PartitionCursor[]): Promise<void> {
    const state = this.state;
    if (state.runOptions?.autoCommit) {
      try {
        await this.commits.commitCursors(cursors);
      } catch (err) {
        // The generation may be gone already; the next owner starts from the last commit.
        state.lastError = err as Error;
      }
    }
    for (const c of cursors) state.cursors.delete(c.key);
    state.emit('consumer.revoked', cursors.map((c) => ({ topic: c.topic, partition: c.partition })));
  }

  private ownedPartitions(): Array<{ topic: string; partitions: number[] }> {
    const byTopic = new Map<string, number[]>();
    for (const c of this.state.cursors.values()) {
      const list = byTopic.get(c.topic) ?? [];
      list.push(c.partition);
      byTopic.set(c.topic, list);
    }
    return [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
  }

  startHeartbeats(): void {
    const state = this.state;
    const config = state.config;
    const beat = async () => {
      if (!state.running) return;
      if (!state.needsJoin && state.generationId >= 0 && state.status !== 'joining') {
        try {
          await state.broker.groups.heartbeat({ groupId: config.groupId, generationId: state.generationId, memberId: state.memberId, groupInstanceId: config.groupInstanceId });
        } catch (err) {
          if (state.running) this.handleGroupError(err);
        }
      }
      if (state.running) this.heartbeatTimer = setTimeout(beat, config.heartbeatInterval);
    };
    this.heartbeatTimer = setTimeout(beat, config.heartbeatInterval);
  }

  stopHeartbeats(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
  }

  /** eachMessage/eachBatch's heartbeat(): one now, unless a rejoin is due anyway. */
  async heartbeatNow(): Promise<void> {
    const state = this.state;
    if (state.generationId < 0 || state.needsJoin) return;
    try {
      await state.broker.groups.heartbeat({ groupId: state.config.groupId, generationId: state.generationId, memberId: state.memberId, groupInstanceId: state.config.groupInstanceId });
    } catch (err) {
      this.handleGroupError(err);
    }
  }

  /** Group errors that mean "rejoin" set the flag and wake the loop; others are recorded. */
  handleGroupError(err: unknown): void {
    const state = this.state;
    const code = err instanceof SkeinError ? err.code : undefined;
    if (code === 'SKEIN_UNKNOWN_MEMBER_ID' || code === 'SKEIN_FENCED_INSTANCE_ID') {
      state.memberId = '';
      state.generationId = -1;
    }
    if (code === 'SKEIN_REBALANCE_IN_PROGRESS' || code === 'SKEIN_UNKNOWN_MEMBER_ID' || code === 'SKEIN_ILLEGAL_GENERATION' || code === 'SKEIN_FENCED_INSTANCE_ID') {
      if (code !== 'SKEIN_REBALANCE_IN_PROGRESS' && this.rebalanceProtocol === 'cooperative') {
        // Lost membership: partitions may already belong to others; drop them without committing.
        state.cursors.clear();
      }
      state.needsJoin = true;
      state.emit('consumer.rebalancing', { groupId: state.config.groupId, memberId: state.memberId });
      state.wakeLoop();
      return;
    }
    if (code === 'SKEIN_CLOSED' || state.broker.closed) {
      state.running = false;
      state.status = 'stopped';
      state.wakeLoop();
      return;
    }
    state.lastError = err as Error;
    state.needsJoin = true;
  }

  /**
   * Leaves the group (stop, failure): the group reassigns this member's partitions at once
   * instead of after the session timeout. `withInstanceId`: name the static member too (stop).
   */
  leave(withInstanceId: boolean): Promise<void> {
    const state = this.state;
    const member = withInstanceId ? { memberId: state.memberId, groupInstanceId: state.config.groupInstanceId } : { memberId: state.memberId };
    return state.broker.groups.leaveGroup({ groupId: state.config.groupId, members: [member] }).then(() => undefined);
  }
}
