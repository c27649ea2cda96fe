/**
 * The group coordinator: every consumer group of this broker and their committed offsets
 * (Kafka's GroupCoordinator for the classic protocol). Both front doors call it: the Kafka
 * protocol handlers for JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
 * OffsetFetch, ListGroups, DescribeGroups and DeleteGroups, and the embedded consumer and
 * admin. It validates what is common to every group (group id, session timeout range), finds
 * or creates the Group (group.ts) that runs the membership state machine, and keeps the
 * offsets, written through an OffsetStore (offset-store.ts): no sockets, no files here.
 *
 * Lifecycle: construct, `start()` (loads the committed offsets once; any other call made
 * first waits for it), use, `close()` (stops every timer; parked joins and syncs fail with
 * SKEIN_CLOSED; every later call throws SKEIN_CLOSED).
 *
 * Partitioned stores (`__consumer_offsets`, offsets-topic-store.ts): the coordinator serves
 * a group only while it owns the group's partition, as Kafka's coordinator serves the groups
 * of the offsets partitions its broker leads. `becomeCoordinator(p)` loads a partition's
 * groups and offsets (requests for its groups get SKEIN_COORDINATOR_LOAD_IN_PROGRESS
 * meanwhile), `resign(p)` drops them (parked requests and later ones get
 * SKEIN_NOT_COORDINATOR, so clients look the coordinator up again). Who calls these: the
 * broker, for every partition at open (one broker) or on leader changes (cluster).
 *
 * Concurrency: event loop only. Once offsets are loaded, every call takes effect before it
 * returns its promise (a describeGroups right after a joinGroup sees the join), and
 * membership calls run synchronously up to the promise they park. Offset writes are the only awaited work; those of one group go to the store one at a
 * time, in call order (offsets of a commit are visible to fetchOffsets once the store
 * acknowledged them), and a group's deletion waits its turn behind them.
 */
import { SkeinError } from '../../errors.js';
import type {
  CommittedOffset,
  GroupDescription,
  GroupListing,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResult,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetFetchRequest,
  SyncGroupRequest,
  SyncGroupResult,
} from '../types.js';
import { Group } from './group.js';
import type { MemberJoinDetails } from './group-member.js';
import { isPartitioned, type OffsetStore, type PartitionedOffsetStore, type StoredGroup, type StoredOffset } from './offset-store.js';
import type { GroupMetadataValue } from './offsets-records.js';

export interface GroupCoordinatorOptions {
  offsetStore: OffsetStore;
  /** How long the first join of an empty group waits for more members (Kafka group.initial.rebalance.delay.ms). Default 100. */
  initialRebalanceDelayMs?: number;
  /** Kafka group.min.session.timeout.ms. Default 6000. */
  minSessionTimeoutMs?: number;
  /** Kafka group.max.session.timeout.ms. Default 1800000 (30 min). */
  maxSessionTimeoutMs?: number;
  /**
   * The id of the live incarnation of a topic (KIP-516), or undefined if it does not exist.
   * Commits are stamped with it, and an offset stamped with another id is not served: it
   * belonged to a deleted topic, even if its removal (forgetOffsets) was cut short by a crash.
   */
  topicIdOf?: (topic: string) => string | undefined;
}

/** topic → partition → offset. */
type GroupOffsets = Map<string, Map<number, StoredOffset>>;

export class GroupCoordinator {
  private readonly store: OffsetStore;
  private readonly initialRebalanceDelayMs: number;
  private readonly minSessionTimeoutMs: number;
  private readonly maxSessionTimeoutMs: number;
  private readonly topicIdOf: (topic: string) => string | undefined;
  private readonly groups = new Map<string, Group>();
  private readonly offsets = new Map<string, GroupOffsets>();
  /** Per group, the tail of its chain of store calls. */
  private readonly storeQueues = new Map<string, Promise<void>>();
  private loading: Promise<void> | null = null;
  private loaded = false;
  private closed = false;
  /** Set for a partitioned store: the partitions owned, each loading (its promise) or loaded. */
  private readonly partitioned: PartitionedOffsetStore | undefined;
  private readonly owned = new Map<number, { loaded: boolean; done: Promise<void> }>();

  constructor(options: GroupCoordinatorOptions) {
    this.store = options.offsetStore;
    this.initialRebalanceDelayMs = nonNegativeInteger(options.initialRebalanceDelayMs ?? 100, 'initialRebalanceDelayMs');
    this.minSessionTimeoutMs = nonNegativeInteger(options.minSessionTimeoutMs ?? 6000, 'minSessionTimeoutMs');
    this.maxSessionTimeoutMs = nonNegativeInteger(options.maxSessionTimeoutMs ?? 1_800_000, 'maxSessionTimeoutMs');
    this.topicIdOf = options.topicIdOf ?? (() => undefined);
    this.partitioned = isPartitioned(this.store) ? this.store : undefined;
    if (this.minSessionTimeoutMs > this.maxSessionTimeoutMs) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `minSessionTimeoutMs ${this.minSessionTimeoutMs} is above maxSessionTimeoutMs ${this.maxSessionTimeoutMs}`);
    }
  }

  /** Loads committed offsets from the store. Idempotent; a failed load fails every later call. */
  start(): Promise<void> {
    this.loading ??= this.load();
    return this.loading;
  }

  private async load(): Promise<void> {
    // A partitioned store is loaded partition by partition (becomeCoordinator).
    if (this.partitioned) {
      this.loaded = true;
      return;
    }
    for (const offset of await this.store.load()) {
      this.rememberOffset(offset);
      // A group known only by its offsets is an Empty group, as in Kafka.
      if (!this.groups.has(offset.groupId)) this.groups.set(offset.groupId, this.newGroup(offset.groupId));
    }
    this.loaded = true;
  }

  /* ---- Ownership of __consumer_offsets partitions ---- */

  /**
   * Takes over the groups of partition `p` of a partitioned store: loads its groups and
   * offsets (requests for them get SKEIN_COORDINATOR_LOAD_IN_PROGRESS until then). Idempotent.
   */
  becomeCoordinator(p: number): Promise<void> {
    const store = this.partitioned;
    if (!store) return Promise.resolve();
    this.checkOpen();
    const current = this.owned.get(p);
    if (current) return current.done;
    const entry = { loaded: false, done: Promise.resolve() };
    entry.done = (async () => {
      const loaded = await store.loadPartition(p);
      // Resigned (or closed) while loading: what was read is dropped.
      if (this.owned.get(p) !== entry || this.closed) return;
      for (const g of loaded.groups) this.groups.set(g.groupId, this.newGroup(g.groupId, g));
      for (const offset of loaded.offsets) {
        this.rememberOffset(offset);
        if (!this.groups.has(offset.groupId)) this.groups.set(offset.groupId, this.newGroup(offset.groupId));
      }
      entry.loaded = true;
    })();
    this.owned.set(p, entry);
    entry.done.catch(() => {
      // A failed load leaves the partition unowned: the next leadership change tries again.
      if (this.owned.get(p) === entry) this.owned.delete(p);
    });
    return entry.done;
  }

  /** Gives up partition `p`: its groups are dropped; their members get SKEIN_NOT_COORDINATOR and look the coordinator up again. */
  resign(p: number): void {
    const store = this.partitioned;
    if (!store || !this.owned.delete(p)) return;
    for (const [groupId, group] of [...this.groups]) {
      if (store.partitionOf(groupId) !== p) continue;
      group.shutdown(new SkeinError('SKEIN_NOT_COORDINATOR', `this broker no longer coordinates group ${groupId}`, { groupId, partition: p }));
      this.groups.delete(groupId);
      this.offsets.delete(groupId);
    }
  }

  /** The partitions of a partitioned store this coordinator owns (loaded or loading). */
  ownedPartitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /** Throws unless this coordinator serves `groupId` now (always true for an unpartitioned store). */
  private checkCoordinator(groupId: string): void {
    const store = this.partitioned;
    if (!store || typeof groupId !== 'string' || groupId === '') return;
    const p = store.partitionOf(groupId);
    const owned = this.owned.get(p);
    if (!owned) throw new SkeinError('SKEIN_NOT_COORDINATOR', `this broker does not coordinate group ${groupId} (partition ${p} of __consumer_offsets)`, { groupId, partition: p });
    if (!owned.loaded) throw new SkeinError('SKEIN_COORDINATOR_LOAD_IN_PROGRESS', `partition ${p} of __consumer_offsets, which holds group ${groupId}, is still loading`, { groupId, partition: p });
  }

  /* ---- Membership ---- */

  async joinGroup(request: JoinGroupRequest): Promise<JoinGroupResult> {
    if (!this.loaded) await this.start();
    this.checkOpen();
    this.checkCoordinator(request.groupId);
    checkGroupId(request.groupId);
    const details = this.joinDetails(request);
    let group = this.groups.get(request.groupId);
    const created = !group;
    if (!group) {
      if (request.memberId !== '') {
        throw new SkeinError('SKEIN_UNKNOWN_MEMBER_ID', `group ${request.groupId} does not exist, so member ${request.memberId} is unknown`, { groupId: request.groupId, memberId: request.memberId });
      }
      group = this.newGroup(request.groupId);
      this.groups.set(request.groupId, group);
    }
    let parked: Promise<JoinGroupResult>;
    try {
      parked = group.join(request.memberId, request.requireKnownMemberId ?? false, details);
    } catch (error) {
      // A join refused at once leaves no empty group behind (MEMBER_ID_REQUIRED keeps it: the id is pending there).
      if (created && group.isUnused()) this.groups.delete(request.groupId);
      throw error;
    }
    return parked;
  }

  async syncGroup(request: SyncGroupRequest): Promise<SyncGroupResult> {
    if (!this.loaded) await this.start();
    this.checkOpen();
    this.checkCoordinator(request.groupId);
    const group = this.existingGroup(request.groupId, request.memberId);
    for (const a of request.assignments) {
      if (typeof a.memberId !== 'string' || !Buffer.isBuffer(a.assignment)) {
        throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'each assignment needs a memberId string and an assignment Buffer', { groupId: request.groupId });
      }
    }
    return group.sync(request);
  }

  async heartbeat(request: HeartbeatRequest): Promise<void> {
    if (!this.loaded) await this.start();
    this.checkOpen();
    this.checkCoordinator(request.groupId);
    this.existingGroup(request.groupId, request.memberId).heartbeat(request.memberId, request.groupInstanceId ?? null, request.generationId);
  }

  /**
   * Removes every listed member it can. If any could not be removed (unknown, fenced), rejects
   * after handling all of them with the first member's error; its `memberErrors` lists each
   * member's outcome (null = left), for LeaveGroup v3+ responses.
   */
  async leaveGroup(request: LeaveGroupRequest): Promise<void> {
    if (!this.loaded) await this.start();
    this.checkOpen();
    this.checkCoordinator(request.groupId);
    checkGroupId(request.groupId);
    const group = this.groups.get(request.groupId);
    const memberErrors = request.members.map(({ memberId, groupInstanceId }) => {
      try {
        if (!group) throw new SkeinError('SKEIN_UNKNOWN_MEMBER_ID', `group ${request.groupId} does not exist`, { groupId: request.groupId, memberId });
        group.leave(memberId, groupInstanceId ?? null);
        return { memberId, groupInstanceId: groupInstanceId ?? null, error: null };
      } catch (error) {
        return { memberId, groupInstanceId: groupInstanceId ?? null, error: error as SkeinError };
      }
    });
    const failed = memberErrors.find((m) => m.error !== null);
    if (failed) {
      throw new SkeinError(failed.error!.code, failed.error!.message, {
        groupId: request.groupId,
        memberId: failed.memberId,
        groupInstanceId: failed.groupInstanceId,
        memberErrors,
      });
    }
  }

  /* ---- Offsets ---- */

  async commitOffsets(request: OffsetCommitRequest): Promise<void> {
    if (!this.loaded) await this.start();
    this.checkOpen();
    this.checkCoordinator(request.groupId);
    checkGroupId(request.groupId);
    for (const o of request.offsets) checkOffset(o);
    let group = this.groups.get(request.groupId);
    if (!group) {
      // Kafka: a group it does not know accepts only commits from outside group management.
      if (request.generationId >= 0) {
        throw new SkeinError('SKEIN_ILLEGAL_GENERATION', `group ${request.groupId} does not exist, so generation ${request.generationId} cannot be its own`, { groupId: request.groupId, memberId: request.memberId });
      }
      group = this.newGroup(request.groupId);
      this.groups.set(request.groupId, group);
    } else {
      group.validateOffsetCommit(request.generationId, request.memberId, request.groupInstanceId ?? null);
    }
    if (request.offsets.length === 0) return;
    const commitTimestamp = Date.now();
    const offsets: StoredOffset[] = request.offsets.map((o) => {
      const stored: StoredOffset = {
        groupId: request.groupId,
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        leaderEpoch: o.leaderEpoch ?? -1,
        // Kafka stores a null metadata as "".
        metadata: o.metadata ?? '',
        commitTimestamp,
      };
      const topicId = this.topicIdOf(o.topic);
      if (topicId !== undefined) stored.topicId = topicId;
      return stored;
    });
    const committedTo = group;
    await this.inStoreOrder(request.groupId, async () => {
      await this.store.commit(request.groupId, offsets);
      // Deleted (and maybe recreated) while the store wrote: the deletion came later and wins.
      if (this.groups.get(request.groupId) !== committedTo) return;
      for (const o of offsets) this.rememberOffset(o);
    });
  }

  /** Committed offsets; offset -1 (leaderEpoch -1, metadata '') where nothing is committed. partitions null = all committed. */
  async fetchOffsets(request: OffsetFetchRequest): Promise<CommittedOffset[]> {
    if (!this.loaded) await this.start();
    this.checkOpen();
    this.checkCoordinator(request.groupId);
    checkGroupId(request.groupId);
    if (request.partitions === null) return this.committedOffsets(request.groupId);
    const byTopic = this.offsets.get(request.groupId);
    return request.partitions.map(({ topic, partition }) => {
      const stored = byTopic?.get(topic)?.get(partition);
      return stored && this.isCurrent(stored) ? toCommitted(stored) : { topic, partition, offset: -1, leaderEpoch: -1, metadata: '' };
    });
  }

  /** Every committed offset of a group, by topic then partition; [] for an unknown group. For lag. */
  committedOffsets(groupId: string): CommittedOffset[] {
    this.checkOpen();
    const byTopic = this.offsets.get(groupId);
    if (!byTopic) return [];
    return [...byTopic.keys()].sort().flatMap((topic) =>
      [...byTopic.get(topic)!.values()].filter((o) => this.isCurrent(o)).sort((a, b) => a.partition - b.partition).map(toCommitted),
    );
  }

  /** False for an offset committed against an incarnation of its topic that has been deleted. */
  private isCurrent(offset: StoredOffset): boolean {
    return offset.topicId === undefined || offset.topicId === this.topicIdOf(offset.topic);
  }

  /**
   * Removes every committed offset `matches` selects (Kafka removes the offsets of a deleted
   * topic): gone from memory at once, tombstoned in the store in each group's store order.
   * Resolves once the store has them all.
   */
  async forgetOffsets(matches: (offset: StoredOffset) => boolean): Promise<void> {
    if (!this.loaded) await this.start();
    this.checkOpen();
    const removals: Array<Promise<void>> = [];
    for (const [groupId, byTopic] of this.offsets) {
      const gone: Array<{ topic: string; partition: number }> = [];
      for (const [topic, partitions] of byTopic) {
        for (const [partition, offset] of partitions) {
          if (!matches(offset)) continue;
          partitions.delete(partition);
          gone.push({ topic, partition });
        }
        if (partitions.size === 0) byTopic.delete(topic);
      }
      if (gone.length > 0) removals.push(this.inStoreOrder(groupId, () => this.store.deleteOffsets(groupId, gone)));
    }
    await Promise.all(removals);
  }

  /* ---- Administration ---- */

  listGroups(): GroupListing[] {
    this.checkOpen();
    return [...this.groups.values()].map((g) => g.listing());
  }

  /** An unknown group is described as Dead with no members, as Kafka does. */
  describeGroups(groupIds: string[]): GroupDescription[] {
    this.checkOpen();
    return groupIds.map(
      (groupId) =>
        this.groups.get(groupId)?.describe() ?? { groupId, state: 'Dead', protocolType: '', protocolName: '', generationId: -1, leader: '', members: [] },
    );
  }

  /**
   * Deletes Empty groups and their offsets. Per group: null (deleted), SKEIN_INVALID_GROUP_ID,
   * SKEIN_GROUP_ID_NOT_FOUND, SKEIN_NON_EMPTY_GROUP, or the store's error. A deleted group is
   * gone at once; its offsets are gone from the store once the store has answered.
   */
  async deleteGroups(groupIds: string[]): Promise<Map<string, SkeinError | null>> {
    if (!this.loaded) await this.start();
    this.checkOpen();
    const results = new Map<string, SkeinError | null>();
    const deletions: Array<Promise<void>> = [];
    for (const groupId of groupIds) {
      if (results.has(groupId)) continue;
      const group = this.groups.get(groupId);
      const notServed = this.notServed(groupId);
      if (groupId === '') {
        results.set(groupId, new SkeinError('SKEIN_INVALID_GROUP_ID', 'the group id is empty', { groupId }));
      } else if (notServed) {
        results.set(groupId, notServed);
      } else if (!group) {
        results.set(groupId, new SkeinError('SKEIN_GROUP_ID_NOT_FOUND', `group ${groupId} does not exist`, { groupId }));
      } else if (group.state !== 'Empty') {
        results.set(groupId, new SkeinError('SKEIN_NON_EMPTY_GROUP', `group ${groupId} is ${group.state}, not Empty`, { groupId, state: group.state }));
      } else {
        group.shutdown(new SkeinError('SKEIN_UNKNOWN_MEMBER_ID', `group ${groupId} was deleted`, { groupId }));
        this.groups.delete(groupId);
        this.offsets.delete(groupId);
        results.set(groupId, null);
        deletions.push(
          this.inStoreOrder(groupId, () => this.store.deleteGroup(groupId)).catch((error: unknown) => {
            results.set(groupId, asSkeinError(error, `deleting the offsets of group ${groupId}`, groupId));
          }),
        );
      }
    }
    await Promise.all(deletions);
    return results;
  }

  /** Stops every timer; parked joins and syncs fail with SKEIN_CLOSED. Idempotent. Store calls under way finish on their own. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const group of this.groups.values()) group.shutdown(new SkeinError('SKEIN_CLOSED', `the group coordinator closed`, { groupId: group.groupId }));
    this.groups.clear();
  }

  /* ---- Helpers ---- */

  private notServed(groupId: string): SkeinError | undefined {
    try {
      this.checkCoordinator(groupId);
      return undefined;
    } catch (error) {
      return error as SkeinError;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new SkeinError('SKEIN_CLOSED', 'the group coordinator is closed');
  }

  private newGroup(groupId: string, stored?: StoredGroup): Group {
    const store = this.store;
    return new Group({
      groupId,
      initialRebalanceDelayMs: this.initialRebalanceDelayMs,
      restored: stored && { protocolType: stored.protocolType, generation: stored.generation, protocol: stored.protocol, leader: stored.leader, members: stored.members },
      onGeneration: store.storeGroup && ((value: GroupMetadataValue) => this.storeGeneration(groupId, value)),
    });
  }

  /**
   * Writes a group's new generation in store order. Kafka answers the SyncGroups only once it
   * is stored; here the members get their assignments at once and a failed write is only
   * warned about: the generation is for tools and for a coordinator that takes the group over,
   * and members whose coordinator moves rejoin anyway.
   */
  private storeGeneration(groupId: string, value: GroupMetadataValue): void {
    const group = this.groups.get(groupId);
    void this.inStoreOrder(groupId, async () => {
      if (this.closed || (group !== undefined && this.groups.get(groupId) !== group)) return;
      await this.store.storeGroup!({ groupId, ...value });
    }).catch(() => undefined);
  }

  private existingGroup(groupId: string, memberId: string): Group {
    checkGroupId(groupId);
    const group = this.groups.get(groupId);
    if (!group) throw new SkeinError('SKEIN_UNKNOWN_MEMBER_ID', `group ${groupId} does not exist, so member ${memberId} is unknown`, { groupId, memberId });
    return group;
  }

  /** Later entries for the same partition replace earlier ones (the store replays in commit order). */
  private rememberOffset(offset: StoredOffset): void {
    let byTopic = this.offsets.get(offset.groupId);
    if (!byTopic) this.offsets.set(offset.groupId, (byTopic = new Map()));
    let partitions = byTopic.get(offset.topic);
    if (!partitions) byTopic.set(offset.topic, (partitions = new Map()));
    partitions.set(offset.partition, offset);
  }

  private joinDetails(request: JoinGroupRequest): MemberJoinDetails {
    const { groupId, sessionTimeoutMs, rebalanceTimeoutMs, protocols } = request;
    if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < this.minSessionTimeoutMs || sessionTimeoutMs > this.maxSessionTimeoutMs) {
      throw new SkeinError('SKEIN_INVALID_SESSION_TIMEOUT', `session timeout ${sessionTimeoutMs} ms is outside [${this.minSessionTimeoutMs}, ${this.maxSessionTimeoutMs}]`, {
        groupId,
        sessionTimeoutMs,
        minSessionTimeoutMs: this.minSessionTimeoutMs,
        maxSessionTimeoutMs: this.maxSessionTimeoutMs,
      });
    }
    if (typeof request.protocolType !== 'string' || !Array.isArray(protocols) || !protocols.every((p) => typeof p.name === 'string' && Buffer.isBuffer(p.metadata))) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'a join needs a protocolType string and protocols of { name: string, metadata: Buffer }', { groupId });
    }
    return {
      groupInstanceId: request.groupInstanceId || null,
      clientId: request.clientId ?? '',
      clientHost: request.clientHost ?? '',
      sessionTimeoutMs,
      // JoinGroup v0 has no rebalance timeout: Kafka then uses the session timeout.
      rebalanceTimeoutMs: Number.isInteger(rebalanceTimeoutMs) && rebalanceTimeoutMs > 0 ? rebalanceTimeoutMs : sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
    };
  }

  /** Runs `task` after every earlier store call of the group has settled. */
  private inStoreOrder(groupId: string, task: () => Promise<void>): Promise<void> {
    const run = (this.storeQueues.get(groupId) ?? Promise.resolve()).then(task);
    const tail = run.catch(() => {});
    this.storeQueues.set(groupId, tail);
    void tail.then(() => {
      if (this.storeQueues.get(groupId) === tail) this.storeQueues.delete(groupId);
    });
    return run;
  }
}

function checkGroupId(groupId: string): void {
  if (typeof groupId !== 'string' || groupId === '') {
    throw new SkeinError('SKEIN_INVALID_GROUP_ID', 'the group id is empty', { groupId });
  }
}

function checkOffset(o: OffsetCommitRequest['offsets'][number]): void {
  const valid =
    typeof o.topic === 'string' &&
    o.topic !== '' &&
    Number.isInteger(o.partition) &&
    o.partition >= 0 &&
    Number.isSafeInteger(o.offset) &&
    (o.leaderEpoch === undefined || Number.isInteger(o.leaderEpoch)) &&
    (o.metadata === undefined || o.metadata === null || typeof o.metadata === 'string');
  if (!valid) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `cannot commit offset ${String(o.offset)} for ${String(o.topic)}-${String(o.partition)}`, {
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
    });
  }
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `${name} must be a non-negative integer, not ${value}`, { setting: name });
  return value;
}

function toCommitted(o: StoredOffset): CommittedOffset {
  return { topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata };
}

function asSkeinError(error: unknown, what: string, groupId: string): SkeinError {
  if (error instanceof SkeinError) return error;
  return new SkeinError('SKEIN_IO_ERROR', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error, groupId });
}
