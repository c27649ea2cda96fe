/**
 * A broker's membership in a cluster coordinated through etcd (Kafka's KafkaZkClient +
 * controller election + MetadataCache, in one object per broker).
 *
 * Lifecycle: `join()` grants a lease of `sessionTimeoutMs` (rounded up to seconds), registers
 * `brokers/<id>` under it (refused while another live broker holds the id: we wait up to one
 * session timeout for a previous incarnation's lease to expire, as Kafka waited for its
 * ZooKeeper node), reads the whole cluster state into the MetadataCache and watches it, and
 * campaigns for controller: the controller is whoever created the `controller` key, held under
 * its lease (the ephemeral-node election Kafka ran on ZooKeeper; the key's create revision is
 * the controller epoch). The controller re-elects partition leaders whenever the set of live
 * brokers changes, each write a compare-and-set on the partition's version; what it decides per
 * partition (dead and restarted brokers, controlled shutdowns, reassignment steps) is
 * src/cluster/controller-decisions.ts. Restarts are told by the broker epoch (the create
 * revision of `brokers/<id>`) against the one the controller last accepted
 * (`broker-epochs/<id>`). `controlledShutdown()` asks the controller (`shutdown/<id>` under
 * this broker's lease) to move this broker's leaderships and waits for it, then resigns a
 * controllership; `reassign()` / `electPreferredLeader()` are the admin requests.
 * `close()` revokes the lease, which removes the registration and the
 * controller key at once, so the others fail over without waiting for a session timeout.
 *
 * Session safety: the lease is kept alive by etcd3 every ttl/3. If no keep-alive has been
 * confirmed for a whole session timeout, etcd may have expired it and the cluster may have
 * moved on: the member emits `sessionLost` (a leader must stop acknowledging), then re-joins
 * with a new lease as soon as etcd answers, emitting `sessionRestored`. Every interval here is
 * measured on the monotonic clock (`performance.now()`): a wall clock stepped forward must not
 * end a healthy session, nor one stepped back keep a dead one alive.
 *
 * Runs on the event loop; knows no Kafka API type and no file.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Etcd3, type Lease, type Namespace, type Watcher } from 'etcd3';
import { SkeinError } from '../errors.js';
import { resolveClusterOptions, type ClusterOptions, type ResolvedClusterOptions } from './cluster-options.js';
import { CLUSTER_ID, CONTROLLER, PRODUCER_IDS, brokerEpochKey, brokerKey, partitionKey, partitionsOf, reassignmentKey, reassignmentsOf, shutdownKey, topicKey } from './cluster-keys.js';
import { MetadataCache, type BrokerEndpoint, type CacheChange } from './metadata-cache.js';
import { encodePartitionState, type PartitionState, type TopicAssignment, type VersionedPartitionState } from './partition-state.js';
import { assignReplicas, checkAssignment } from './replica-assignment.js';
import { preferredLeaderMoves } from './leader-rebalance.js';
import { decidePartition, type ControllerView } from './controller-decisions.js';
import { checkTarget, encodeReassignment, type Reassignment } from './reassignment.js';

/** Every etcd call is bounded: a coordinator that does not answer is reported, not waited on. */
const CALL_TIMEOUT_MS = 5000;

export interface NewClusterTopic {
  name: string;
  /** Partition count; ignored when `assignment` is given. */
  partitions: number;
  /** Default: the cluster's default replication factor. */
  replicationFactor?: number;
  /** Explicit replicas per partition (CreateTopics replicaAssignment). */
  assignment?: number[][];
  configs?: Record<string, string>;
}

/** What a controlled shutdown achieved (`ClusterMember.controlledShutdown`). */
export interface ControlledShutdownResult {
  /** Partitions this broker led when it asked. */
  led: number;
  /** Partitions whose leadership moved to another broker. */
  moved: number;
  /** Partitions it still leads (no other live ISR member, or the controller did not answer in time). */
  remaining: string[];
  /** From the request to the last move seen (or to giving up). */
  elapsedMs: number;
  /** True when this broker was the controller and resigned. */
  resigned: boolean;
}

/** Where a broker is reached, and its data folder's id (a new folder, a new id: the controller then trusts none of its old replicas). */
export interface MemberEndpoint {
  host: string;
  port: number;
  directoryId?: string;
}

export interface ClusterMemberEvents {
  change: [CacheChange];
  controller: [nodeId: number | undefined];
  sessionLost: [];
  sessionRestored: [];
  warning: [string];
}

/** Minimal backoff for etcd3's watch reconnects: at most 500 ms between tries (its default backs off to 30 s). */
class ShortBackoff {
  constructor(readonly duration = 50) {}
  next(): ShortBackoff {
    return new ShortBackoff(Math.min(500, this.duration * 2));
  }
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SkeinError('SKEIN_COORDINATOR_UNAVAILABLE', `etcd did not answer ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function unavailable(err: unknown, what: string): SkeinError {
  if (err instanceof SkeinError) return err;
  return new SkeinError('SKEIN_COORDINATOR_UNAVAILABLE', `etcd failed ${what}: ${(err as Error).message}`, { cause: err });
}

/**
 * A new partition: led by its first replica, in epoch 0, with every replica in the ISR. Kafka
 * does the same: the replicas are all empty, so none lacks an acknowledged record, and the
 * followers start fetching at once (src/cluster/replication.ts); one that does not keep up
 * leaves the ISR after replica.lag.time.max.ms.
 */
function initialState(replicas: number[]): string {
  return encodePartitionState({ replicas, leader: replicas[0]!, leaderEpoch: 0, isr: [...replicas] });
}

export class ClusterMember extends EventEmitter<ClusterMemberEvents> {
  readonly options: ResolvedClusterOptions;
  readonly cache: MetadataCache;
  readonly endpoint: BrokerEndpoint;
  private readonly client: Etcd3;
  private readonly ns: Namespace;
  private lease: Lease | undefined;
  private watcher: Watcher | undefined;
  private controllerNode: number | undefined;
  private sessionOk = false;
  private lastKeepAliveConfirmed = 0;
  private sessionTimer: NodeJS.Timeout | undefined;
  /** leader.imbalance.check.interval.seconds (auto.leader.rebalance.enable); acts only while controller. */
  private rebalanceTimer: NodeJS.Timeout | undefined;
  private rebalancing = false;
  private rejoining: Promise<void> | undefined;
  /** Controller work runs one pass at a time; a pass asked for during one runs after it. */
  private reconcileRunning: Promise<void> | undefined;
  private reconcileAgain = false;
  private closed = false;
  /** Set once a controlled shutdown resigned the controllership: this broker campaigns no more. */
  private resigned = false;
  private readonly directoryId: string;
  /** Create revision of this broker's current registration (its broker epoch). */
  private registeredAt = 0;

  private constructor(options: ResolvedClusterOptions, endpoint: BrokerEndpoint, directoryId: string) {
    super();
    this.options = options;
    this.endpoint = endpoint;
    this.directoryId = directoryId;
    this.cache = new MetadataCache((m) => this.emit('warning', m));
    this.client = new Etcd3({
      hosts: options.etcdHosts,
      dialTimeout: 3000,
      faultHandling: { watchBackoff: new ShortBackoff() },
    });
    this.ns = this.client.namespace(options.prefix);
  }

  /**
   * The cluster's id (Kafka's cluster.id), read from etcd, created there by the first broker
   * that asks (create-if-absent, so every broker agrees on the first one written). Asked before
   * a broker opens its folder, so a folder of another cluster is refused before it is touched.
   */
  static async clusterId(options: ClusterOptions): Promise<string> {
    const resolved = resolveClusterOptions(options);
    const client = new Etcd3({ hosts: resolved.etcdHosts, dialTimeout: 3000 });
    try {
      const ns = client.namespace(resolved.prefix);
      // Kafka's form: a random UUID as 22 characters of URL-safe base64.
      const fresh = randomBytes(16).toString('base64url');
      await withTimeout(ns.if(CLUSTER_ID, 'Create', '==', 0).then(ns.put(CLUSTER_ID).value(fresh)).commit(), 'creating the cluster id').catch((err: unknown) => {
        throw unavailable(err, 'creating the cluster id');
      });
      const id = await withTimeout(ns.get(CLUSTER_ID).string(), 'reading the cluster id').catch((err: unknown) => {
        throw unavailable(err, 'reading the cluster id');
      });
      if (!id) throw new SkeinError('SKEIN_CORRUPT_CLUSTER_STATE', `etcd holds no ${resolved.prefix}${CLUSTER_ID} right after creating it`);
      return id;
    } finally {
      client.close();
    }
  }

  /** Joins the cluster: registers this broker, loads and watches the state, campaigns for controller. */
  static async join(options: ClusterOptions, endpoint: MemberEndpoint): Promise<ClusterMember> {
    const resolved = resolveClusterOptions(options);
    const member = new ClusterMember(resolved, { nodeId: resolved.nodeId, host: endpoint.host, port: endpoint.port }, endpoint.directoryId ?? '');
    try {
      await member.register(resolved.sessionTimeoutMs + 2000);
      await member.startWatch();
      await member.campaign();
      member.sessionTimer = setInterval(() => member.checkSession(), 250);
      member.sessionTimer.unref();
      if (resolved.autoLeaderRebalanceEnable) {
        member.rebalanceTimer = setInterval(() => void member.checkLeaderImbalance(), resolved.leaderImbalanceCheckIntervalSeconds * 1000);
        member.rebalanceTimer.unref();
      }
    } catch (err) {
      await member.close();
      throw err;
    }
    return member;
  }

  get nodeId(): number {
    return this.options.nodeId;
  }

  /** The current controller's node id, if one is elected. */
  get controllerId(): number | undefined {
    return this.controllerNode;
  }

  get isController(): boolean {
    return this.sessionActive && this.controllerNode === this.nodeId;
  }

  /**
   * This broker's epoch: the etcd revision at which its current registration was created. A
   * partition state written before it comes from a previous incarnation (or from before a lost
   * session) and does not make this broker a leader: the controller re-decides every partition
   * naming a re-registered broker (src/cluster/controller-decisions.ts).
   */
  get brokerEpoch(): number {
    return this.registeredAt;
  }

  /**
   * False from a missed session until re-registered: leaders must not acknowledge and
   * followers must not fetch meanwhile. Checked against the monotonic clock at every call, not
   * only when the session timer fires: a process resumed after SIGSTOP handles the sockets that
   * became readable during the pause before its timers run.
   */
  get sessionActive(): boolean {
    if (this.sessionOk) this.checkSession();
    return this.sessionOk;
  }

  /** Creates a topic: assigns replicas over the live brokers (or checks the given assignment) and writes topic and partition states in one transaction. */
  async createTopic(topic: NewClusterTopic): Promise<TopicAssignment> {
    this.ensureOpen();
    const live = [...this.cache.liveBrokerIds()];
    let assignment: number[][];
    if (topic.assignment && topic.assignment.length > 0) {
      checkAssignment(topic.assignment, live);
      assignment = topic.assignment;
    } else {
      if (!Number.isInteger(topic.partitions) || topic.partitions < 1) {
        throw new SkeinError('SKEIN_INVALID_PARTITIONS', `a topic needs at least 1 partition, got ${topic.partitions}`, { topic: topic.name });
      }
      const factor = topic.replicationFactor ?? this.options.defaultReplicationFactor;
      assignment = assignReplicas(live, topic.partitions, factor, this.startFor(topic.name, live.length));
    }
    const value: TopicAssignment = { partitions: assignment, replicationFactor: assignment[0]!.length, configs: topic.configs ?? {} };
    const puts = [
      this.ns.put(topicKey(topic.name)).value(JSON.stringify(value)),
      ...assignment.map((replicas, p) =>
        this.ns.put(partitionKey(topic.name, p)).value(initialState(replicas)),
      ),
    ];
    const result = await withTimeout(
      this.ns.if(topicKey(topic.name), 'Create', '==', 0).then(...puts).commit(),
      `creating topic ${topic.name}`,
    ).catch((err: unknown) => {
      throw unavailable(err, `creating topic ${topic.name}`);
    });
    if (!result.succeeded) throw new SkeinError('SKEIN_TOPIC_ALREADY_EXISTS', `topic ${topic.name} already exists`, { topic: topic.name });
    await this.refresh();
    return value;
  }

  /**
   * Takes the next `size` producer ids for this broker's InitProducerId answers (Kafka's
   * AllocateProducerIds, KIP-730): compare-and-set on one counter in etcd, so no two brokers of
   * the cluster ever hand out the same id. Ids a broker took and did not use are never reused.
   * Resolves with the first id of the block, never below `atLeast` (ids this broker's folder
   * handed out before it joined a cluster, whose producer state its logs may still hold).
   */
  async allocateProducerIds(size: number, atLeast = 0): Promise<number> {
    this.ensureOpen();
    for (let attempt = 0; ; attempt++) {
      const read = await withTimeout(this.ns.get(PRODUCER_IDS).exec(), 'reading the producer id counter').catch((err: unknown) => {
        throw unavailable(err, 'reading the producer id counter');
      });
      const kv = read.kvs[0];
      const counter = kv ? Number(kv.value.toString()) : 0;
      if (!Number.isSafeInteger(counter) || counter < 0) {
        throw new SkeinError('SKEIN_COORDINATOR_UNAVAILABLE', `the producer id counter in etcd holds ${kv?.value.toString()}, not an id`);
      }
      const start = Math.max(counter, atLeast);
      const guard = kv ? this.ns.if(PRODUCER_IDS, 'Mod', '==', Number(kv.mod_revision)) : this.ns.if(PRODUCER_IDS, 'Create', '==', 0);
      const result = await withTimeout(guard.then(this.ns.put(PRODUCER_IDS).value(String(start + size))).commit(), 'allocating producer ids').catch((err: unknown) => {
        throw unavailable(err, 'allocating producer ids');
      });
      if (result.succeeded) return start;
      // Another broker took a block meanwhile: read again (a few brokers at most compete).
      if (attempt >= 20) throw new SkeinError('SKEIN_COORDINATOR_UNAVAILABLE', 'could not allocate producer ids: the counter in etcd kept changing');
    }
  }

  /** Grows a topic to `count` partitions (CreatePartitions); compare-and-set on the topic's version. */
  async createPartitions(name: string, count: number, assignment?: number[][]): Promise<TopicAssignment> {
    this.ensureOpen();
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.refresh();
      const current = this.cache.topic(name);
      const version = this.cache.topicVersion(name);
      if (!current || version === undefined) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`, { topic: name });
      const have = current.partitions.length;
      if (!Number.isInteger(count) || count <= have) {
        throw new SkeinError('SKEIN_INVALID_PARTITIONS', `topic ${name} has ${have} partitions; the new count must be larger, got ${count}`, { topic: name });
      }
      const live = [...this.cache.liveBrokerIds()];
      let added: number[][];
      if (assignment && assignment.length > 0) {
        if (assignment.length !== count - have) {
          throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `${count - have} new partitions need as many replica lists, got ${assignment.length}`, { topic: name });
        }
        checkAssignment(assignment, live);
        added = assignment;
      } else {
        added = assignReplicas(live, count - have, current.replicationFactor, this.startFor(name, live.length), have);
      }
      const value: TopicAssignment = { ...current, partitions: [...current.partitions, ...added] };
      const result = await withTimeout(
        this.ns
          .if(topicKey(name), 'Mod', '==', version)
          .then(
            this.ns.put(topicKey(name)).value(JSON.stringify(value)),
            ...added.map((replicas, i) =>
              this.ns.put(partitionKey(name, have + i)).value(initialState(replicas)),
            ),
          )
          .commit(),
        `adding partitions to ${name}`,
      ).catch((err: unknown) => {
        throw unavailable(err, `adding partitions to ${name}`);
      });
      if (result.succeeded) {
        await this.refresh();
        return value;
      }
    }
    throw new SkeinError('SKEIN_STALE_CLUSTER_STATE', `topic ${name} kept changing while partitions were added; try again`, { topic: name });
  }

  async deleteTopic(name: string): Promise<void> {
    this.ensureOpen();
    const result = await withTimeout(
      this.ns
        .if(topicKey(name), 'Create', '>', 0)
        .then(this.ns.delete().key(topicKey(name)), this.ns.delete().prefix(partitionsOf(name)), this.ns.delete().prefix(reassignmentsOf(name)))
        .commit(),
      `deleting topic ${name}`,
    ).catch((err: unknown) => {
      throw unavailable(err, `deleting topic ${name}`);
    });
    if (!result.succeeded) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`, { topic: name });
    await this.refresh();
  }

  /**
   * Writes a partition state if nobody changed it since `expectedVersion` (Kafka's
   * AlterPartition): the leader's ISR changes, the controller's elections. Resolves with the
   * new versioned state; a lost race throws SKEIN_STALE_CLUSTER_STATE (re-read and decide again).
   */
  async writePartitionState(topic: string, partition: number, state: PartitionState, expectedVersion: number): Promise<VersionedPartitionState> {
    this.ensureOpen();
    if (state.leader === this.nodeId && expectedVersion < this.registeredAt) {
      // A leader's change to a state written before this broker's current registration would
      // renew a leadership of an earlier incarnation (before a restart or a lost session) that
      // the controller has not re-decided yet (Kafka fences AlterPartition by broker epoch, KIP-903).
      throw new SkeinError('SKEIN_STALE_CLUSTER_STATE', `${topic}-${partition}: version ${expectedVersion} predates this broker's registration ${this.registeredAt}; the controller decides first`, {
        topic,
        partition,
      });
    }
    return this.casPartitionState(topic, partition, state, expectedVersion);
  }

  /** The compare-and-set itself (the controller's decisions go straight here). */
  private async casPartitionState(topic: string, partition: number, state: PartitionState, expectedVersion: number): Promise<VersionedPartitionState> {
    const key = partitionKey(topic, partition);
    const result = await withTimeout(
      this.ns.if(key, 'Mod', '==', expectedVersion).then(this.ns.put(key).value(encodePartitionState(state))).commit(),
      `updating ${topic}-${partition}`,
    ).catch((err: unknown) => {
      throw unavailable(err, `updating ${topic}-${partition}`);
    });
    if (!result.succeeded) {
      await this.refresh();
      throw new SkeinError('SKEIN_STALE_CLUSTER_STATE', `the state of ${topic}-${partition} changed since version ${expectedVersion}`, { topic, partition });
    }
    const revision = Number(result.header.revision);
    const written: VersionedPartitionState = { ...state, topic, partition, version: revision };
    const change = this.cache.put(key, encodePartitionState(state), revision);
    if (change) this.onChange(change);
    return written;
  }

  /** Re-reads the whole state (after a write, or when a watch may have missed something); resolves with the etcd revision read. */
  async refresh(): Promise<number> {
    const response = await withTimeout(this.ns.getAll().exec(), 'reading the cluster state').catch((err: unknown) => {
      throw unavailable(err, 'reading the cluster state');
    });
    const revision = Number(response.header.revision);
    const entries = response.kvs.map((kv) => ({
      key: kv.key.toString(), // the namespace hands keys back relative to the prefix
      value: kv.value.toString(),
      modRevision: Number(kv.mod_revision),
      createRevision: Number(kv.create_revision),
    }));
    const controller = entries.find((e) => e.key === CONTROLLER);
    this.setController(controller ? Number(controller.value) : undefined);
    for (const change of this.cache.reset(entries.filter((e) => e.key !== CONTROLLER), revision)) this.onChange(change);
    return revision;
  }

  /** Leaves the cluster: revokes the lease (registration and controllership go at once). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sessionTimer) clearInterval(this.sessionTimer);
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
    this.sessionOk = false;
    await this.watcher?.cancel().catch(() => {});
    if (this.lease) await withTimeout(this.lease.revoke(), 'revoking the lease', 2000).catch(() => {});
    this.client.close();
  }

  // ---- registration and session --------------------------------------------------------

  private async register(waitForIdMs: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(this.options.sessionTimeoutMs / 1000));
    const lease = this.ns.lease(ttl, { autoKeepAlive: true });
    lease.on('lost', () => this.loseSession('etcd reported the lease lost'));
    lease.on('keepaliveFired', () => {
      this.pendingKeepAliveAt = performance.now();
    });
    lease.on('keepaliveSucceeded', () => {
      this.lastKeepAliveConfirmed = this.pendingKeepAliveAt;
    });
    this.lease = lease;
    const leaseId = await withTimeout(lease.grant(), 'granting a lease').catch((err: unknown) => {
      throw unavailable(err, 'granting a lease');
    });
    const grantedAt = performance.now();
    const key = brokerKey(this.nodeId);
    const value = JSON.stringify({ host: this.endpoint.host, port: this.endpoint.port, startedAt: new Date().toISOString(), directoryId: this.directoryId });
    const deadline = performance.now() + waitForIdMs;
    for (;;) {
      const result = await withTimeout(
        this.ns.if(key, 'Create', '==', 0).then(this.ns.put(key).value(value).lease(leaseId)).commit(),
        'registering the broker',
      ).catch((err: unknown) => {
        throw unavailable(err, 'registering the broker');
      });
      if (result.succeeded) {
        this.registeredAt = Number(result.header.revision);
        break;
      }
      if (performance.now() > deadline) {
        throw new SkeinError('SKEIN_NODE_ID_IN_USE', `another live broker is registered with node id ${this.nodeId} (etcd key ${this.options.prefix}${key})`, { nodeId: this.nodeId });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    // Keep-alives confirmed while the registration waited for an old key count: resetting to
    // the grant time after a wait longer than the session lost the new session at once.
    this.lastKeepAliveConfirmed = Math.max(this.lastKeepAliveConfirmed, grantedAt);
    this.pendingKeepAliveAt = Math.max(this.pendingKeepAliveAt, grantedAt);
    this.sessionOk = true;
  }

  private pendingKeepAliveAt = 0;

  private checkSession(): void {
    if (!this.sessionOk || this.closed) return;
    if (performance.now() - this.lastKeepAliveConfirmed > this.options.sessionTimeoutMs) {
      this.loseSession(`no lease keep-alive confirmed for ${this.options.sessionTimeoutMs} ms`);
    }
  }

  private loseSession(reason: string): void {
    if (this.closed) return;
    if (this.sessionOk) {
      this.sessionOk = false;
      this.emit('warning', `broker ${this.nodeId} lost its cluster session (${reason}); it stops leading until it has re-joined`);
      this.emit('sessionLost');
    }
    if (!this.rejoining) this.rejoining = this.rejoin().finally(() => (this.rejoining = undefined));
  }

  private async rejoin(): Promise<void> {
    while (!this.closed) {
      const old = this.lease;
      this.lease = undefined;
      old?.removeAllListeners();
      old?.release();
      try {
        await this.register(this.options.sessionTimeoutMs * 2 + 2000);
        await this.refresh();
        await this.campaign();
        // The new session can lapse already while the state is re-read (a loaded machine, etcd
        // just restarted): loseSession() then starts no second rejoin (this one runs), so this
        // one must register again, or the broker would stay without a session for good.
        if (!this.sessionOk) {
          this.emit('warning', `broker ${this.nodeId} lost its new session while re-joining; registering again`);
          continue;
        }
        // Passes skipped while the session was in doubt are owed now.
        if (this.isController) this.requestReconcile();
        this.emit('sessionRestored');
        return;
      } catch (err) {
        this.emit('warning', `broker ${this.nodeId} cannot re-join the cluster yet: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  // ---- watch ----------------------------------------------------------------------------

  private async startWatch(): Promise<void> {
    // The watch starts right after the revision the full read saw: a change made between the
    // read and the watch's creation (a controller electing this very broker as it joins) would
    // otherwise never reach this cache.
    const revision = await this.refresh();
    const watcher = await withTimeout(this.ns.watch().prefix('').startRevision(String(revision + 1)).create(), 'watching the cluster state').catch((err: unknown) => {
      throw unavailable(err, 'watching the cluster state');
    });
    this.watcher = watcher;
    watcher.on('put', (kv) => {
      const key = kv.key.toString();
      if (key === CONTROLLER) {
        this.setController(Number(kv.value.toString()));
        return;
      }
      const change = this.cache.put(key, kv.value.toString(), Number(kv.mod_revision), Number(kv.create_revision));
      if (change) this.onChange(change);
    });
    watcher.on('delete', (kv) => {
      const key = kv.key.toString();
      if (key === CONTROLLER) {
        this.setController(undefined);
        if (this.sessionOk && !this.resigned) void this.campaign().catch((err: unknown) => this.emit('warning', `controller campaign failed: ${(err as Error).message}`));
        return;
      }
      const change = this.cache.remove(key, Number(kv.mod_revision));
      if (change) this.onChange(change);
    });
    // After a reconnect the watch resumes from its last revision, but compaction or a long cut
    // can lose events: read everything again, as Kafka's brokers re-read ZooKeeper on reconnect.
    watcher.on('connected', () => {
      void this.refresh().catch(() => {});
    });
    watcher.on('error', (err) => this.emit('warning', `etcd watch error: ${err.message}`));
  }

  private onChange(change: CacheChange): void {
    this.emit('change', change);
    if (!this.isController) return;
    const concernsController =
      change.kind === 'broker' ||
      change.kind === 'shutdown' ||
      change.kind === 'reassignment' ||
      (change.kind === 'partition' && this.cache.reassignment(change.state.topic, change.state.partition) !== undefined);
    if (concernsController) this.requestReconcile();
  }

  // ---- controller -----------------------------------------------------------------------

  private async campaign(): Promise<void> {
    if (!this.lease || this.closed || this.resigned) return;
    const leaseId = await this.lease.grant();
    const result = await withTimeout(
      this.ns.if(CONTROLLER, 'Create', '==', 0).then(this.ns.put(CONTROLLER).value(String(this.nodeId)).lease(leaseId)).commit(),
      'campaigning for controller',
    );
    if (result.succeeded) this.setController(this.nodeId);
    else {
      const current = await withTimeout(this.ns.get(CONTROLLER).string(), 'reading the controller');
      this.setController(current === null ? undefined : Number(current));
    }
  }

  private setController(nodeId: number | undefined): void {
    if (nodeId === this.controllerNode) return;
    this.controllerNode = nodeId;
    this.emit('controller', nodeId);
    if (this.isController) this.requestReconcile();
  }

  private requestReconcile(): void {
    if (this.reconcileRunning) {
      this.reconcileAgain = true;
      return;
    }
    this.reconcileRunning = this.reconcile()
      .catch((err: unknown) => {
        this.emit('warning', `controller pass failed: ${(err as Error).message}`);
      })
      .finally(() => {
        this.reconcileRunning = undefined;
        if (this.reconcileAgain) {
          this.reconcileAgain = false;
          if (this.isController) setTimeout(() => this.requestReconcile(), 100).unref();
        }
      });
  }

  /**
   * Kafka's checkAndTriggerAutoLeaderRebalance, every leader.imbalance.check.interval.seconds
   * while this broker is the controller: moves leadership back to each partition's preferred
   * replica where that broker's imbalance exceeds leader.imbalance.per.broker.percentage and
   * it can lead cleanly (src/cluster/leader-rebalance.ts). Each move is a compare-and-set; a
   * lost race is left to the next check.
   */
  private async checkLeaderImbalance(): Promise<void> {
    if (!this.isController || this.closed || this.rebalancing) return;
    this.rebalancing = true;
    try {
      await this.refresh();
      const restarted = new Set<number>();
      for (const id of this.cache.liveBrokerIds()) {
        const accepted = this.cache.acceptedRegistration(id);
        if (!accepted || accepted.epoch !== this.cache.registration(id)!.epoch) restarted.add(id);
      }
      const partitions = this.cache.partitions().map((p) => ({ ...p, reassigning: this.cache.reassignment(p.topic, p.partition) !== undefined }));
      const moves = preferredLeaderMoves(partitions, {
        live: this.cache.liveBrokerIds(),
        shuttingDown: this.cache.shuttingDown(),
        restarted,
        imbalancePercentage: this.options.leaderImbalancePerBrokerPercentage,
      });
      for (const { from, state } of moves) {
        if (!this.isController) return;
        try {
          await this.casPartitionState(from.topic, from.partition, state, from.version);
          this.emit('warning', `leader rebalance: ${from.topic}-${from.partition} led by its preferred replica, broker ${state.leader}, again (was ${from.leader}, epoch ${state.leaderEpoch})`);
        } catch (err) {
          if ((err as SkeinError).code !== 'SKEIN_STALE_CLUSTER_STATE') throw err;
        }
      }
    } catch (err) {
      this.emit('warning', `leader rebalance check failed: ${(err as Error).message}`);
    } finally {
      this.rebalancing = false;
    }
  }

  /**
   * One controller pass over every partition (src/cluster/controller-decisions.ts): dead and
   * re-registered brokers, controlled shutdowns, reassignments. Each write is a compare-and-set
   * on the partition's version; a lost race asks for another pass. Re-registered brokers are
   * accepted (`broker-epochs/<id>`) only once every partition naming them was re-decided.
   */
  private async reconcile(): Promise<void> {
    if (!this.isController) return;
    await this.refresh();
    const live = this.cache.liveBrokerIds();
    const restarted = new Map<number, 'restarted' | 'lostData'>();
    // Brokers never accepted before are new: every partition naming them was created after they registered.
    const fresh: number[] = [];
    for (const id of live) {
      const now = this.cache.registration(id)!;
      const accepted = this.cache.acceptedRegistration(id);
      if (!accepted) fresh.push(id);
      else if (accepted.epoch !== now.epoch) restarted.set(id, accepted.directoryId !== '' && accepted.directoryId !== now.directoryId ? 'lostData' : 'restarted');
    }
    const view: ControllerView = { live, shuttingDown: this.cache.shuttingDown(), restarted, allowUnclean: this.options.uncleanLeaderElection };
    let complete = true;
    const writes: Array<{ leaderMoves: boolean; run: () => Promise<void> }> = [];
    for (const state of this.cache.partitions()) {
      const reassignment = this.cache.reassignment(state.topic, state.partition);
      const decision = decidePartition(state, view, reassignment);
      if (!decision.changed && !decision.reassignmentDone) continue;
      if (decision.unclean) {
        this.emit('warning', `UNCLEAN leader election for ${state.topic}-${state.partition}: broker ${decision.state.leader} was not in sync; acknowledged records may be lost`);
      }
      for (const [id, how] of restarted) {
        if (how === 'lostData' && (state.isr.includes(id) || state.leader === id)) {
          this.emit('warning', `broker ${id} came back with a new data folder: it leaves the ISR of ${state.topic}-${state.partition} and cannot lead it until it has caught up`);
        }
      }
      writes.push({
        leaderMoves: decision.state.leader !== state.leader,
        run: () =>
          decision.reassignmentDone
            ? this.completeReassignment(state, decision.state)
            : this.casPartitionState(state.topic, state.partition, decision.state, state.version).then(() => undefined),
      });
    }
    // Leadership moves first (clients wait on those), then ISR-only changes; a few writes in
    // flight at once, each its own compare-and-set, so a controlled shutdown of a broker leading
    // many partitions costs etcd round trips in parallel rather than one after another.
    writes.sort((x, y) => Number(y.leaderMoves) - Number(x.leaderMoves));
    const PARALLEL_WRITES = 16;
    for (let i = 0; i < writes.length; i += PARALLEL_WRITES) {
      if (!this.isController) return;
      await Promise.all(
        writes.slice(i, i + PARALLEL_WRITES).map(({ run }) =>
          run().catch((err: unknown) => {
            if ((err as SkeinError).code !== 'SKEIN_STALE_CLUSTER_STATE') throw err;
            this.reconcileAgain = true;
            complete = false;
          }),
        ),
      );
    }
    // Reassignments of partitions that no longer exist (topic deleted meanwhile) are dropped.
    for (const { topic, partition } of this.cache.reassignments()) {
      if (!this.cache.partition(topic, partition)) await this.ns.delete().key(reassignmentKey(topic, partition)).exec().catch(() => undefined);
    }
    if (!complete || !this.isController) return;
    for (const id of [...fresh, ...restarted.keys()]) {
      const registration = this.cache.registration(id)!;
      await withTimeout(this.ns.put(brokerEpochKey(id)).value(JSON.stringify(registration)).exec(), `accepting broker ${id}`).catch((err: unknown) => {
        throw unavailable(err, `accepting broker ${id}`);
      });
    }
  }

  /** The last step of a reassignment, in one transaction: the partition's final state, the topic's assignment, the reassignment forgotten. */
  private async completeReassignment(before: VersionedPartitionState, state: PartitionState): Promise<void> {
    const { topic, partition } = before;
    const assignment = this.cache.topic(topic);
    const topicVersion = this.cache.topicVersion(topic);
    if (!assignment || topicVersion === undefined) return;
    const partitions = assignment.partitions.map((replicas, p) => (p === partition ? [...state.replicas] : replicas));
    const key = partitionKey(topic, partition);
    const result = await withTimeout(
      this.ns
        .if(key, 'Mod', '==', before.version)
        .and(topicKey(topic), 'Mod', '==', topicVersion)
        .then(
          this.ns.put(key).value(encodePartitionState(state)),
          this.ns.put(topicKey(topic)).value(JSON.stringify({ ...assignment, partitions })),
          this.ns.delete().key(reassignmentKey(topic, partition)),
        )
        .commit(),
      `completing the reassignment of ${topic}-${partition}`,
    ).catch((err: unknown) => {
      throw unavailable(err, `completing the reassignment of ${topic}-${partition}`);
    });
    if (!result.succeeded) {
      await this.refresh();
      throw new SkeinError('SKEIN_STALE_CLUSTER_STATE', `${topic}-${partition} changed while its reassignment completed`, { topic, partition });
    }
    this.emit('warning', `reassignment of ${topic}-${partition} complete: replicas ${state.replicas.join(',')}, leader ${state.leader}`);
    await this.refresh();
  }

  // ---- requests to the controller ---------------------------------------------------------

  /**
   * Starts (target replicas) or cancels (null) the reassignment of a partition
   * (AlterPartitionReassignments). The request is recorded in etcd; the controller carries it
   * out. Resolves once recorded. A reassignment of a partition already being reassigned
   * replaces its target and keeps its original replicas (KIP-455).
   */
  async reassign(topic: string, partition: number, target: number[] | null): Promise<void> {
    this.ensureOpen();
    await this.refresh();
    const state = this.cache.partition(topic, partition);
    if (!state) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    const current = this.cache.reassignment(topic, partition);
    const key = reassignmentKey(topic, partition);
    let next: Reassignment | undefined;
    if (target === null) {
      if (!current || current.cancelling) throw new SkeinError('SKEIN_NO_REASSIGNMENT_IN_PROGRESS', `no reassignment of ${topic}-${partition} is in progress`, { topic, partition });
      next = { target: current.original, original: current.original, cancelling: true };
    } else {
      checkTarget(target, this.cache.liveBrokerIds(), `${topic}-${partition}`);
      const original = current?.original ?? state.replicas;
      next = { target: [...target], original };
    }
    const txn = current === undefined ? this.ns.if(key, 'Create', '==', 0) : this.ns.if(key, 'Mod', '==', this.cache.reassignmentVersion(topic, partition) ?? 0);
    const result = await withTimeout(
      txn.and(partitionKey(topic, partition), 'Create', '>', 0).then(this.ns.put(key).value(encodeReassignment(next))).commit(),
      `reassigning ${topic}-${partition}`,
    ).catch((err: unknown) => {
      throw unavailable(err, `reassigning ${topic}-${partition}`);
    });
    if (!result.succeeded) {
      await this.refresh();
      throw new SkeinError('SKEIN_STALE_CLUSTER_STATE', `the reassignment of ${topic}-${partition} changed meanwhile; try again`, { topic, partition });
    }
    await this.refresh();
  }

  /** Reassignments in progress (ListPartitionReassignments), optionally of some partitions only. */
  reassignments(): Array<{ topic: string; partition: number; replicas: number[]; adding: number[]; removing: number[] }> {
    return this.cache.reassignments().map(({ topic, partition, reassignment }) => {
      const replicas = this.cache.partition(topic, partition)?.replicas ?? [];
      const adding = reassignment.target.filter((id) => !reassignment.original.includes(id));
      const removing = reassignment.original.filter((id) => !reassignment.target.includes(id));
      return { topic, partition, replicas, adding: reassignment.cancelling ? [] : adding, removing: reassignment.cancelling ? [] : removing };
    });
  }

  /**
   * Preferred leader election (ElectLeaders, PREFERRED): makes the first replica the leader
   * when it is alive, in the ISR and not shutting down. Resolves with 'elected',
   * 'notNeeded' (it leads already) or 'notAvailable'.
   */
  async electPreferredLeader(topic: string, partition: number): Promise<'elected' | 'notNeeded' | 'notAvailable'> {
    this.ensureOpen();
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.refresh();
      const state = this.cache.partition(topic, partition);
      if (!state) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
      const preferred = state.replicas[0]!;
      if (state.leader === preferred) return 'notNeeded';
      if (!this.cache.liveBrokerIds().has(preferred) || this.cache.shuttingDown().has(preferred) || !state.isr.includes(preferred)) return 'notAvailable';
      try {
        await this.writePartitionState(topic, partition, { ...state, leader: preferred, leaderEpoch: state.leaderEpoch + 1 }, state.version);
        return 'elected';
      } catch (err) {
        if ((err as SkeinError).code !== 'SKEIN_STALE_CLUSTER_STATE') throw err;
      }
    }
    throw new SkeinError('SKEIN_STALE_CLUSTER_STATE', `${topic}-${partition} kept changing during the election; try again`, { topic, partition });
  }

  /**
   * Kafka's controlled shutdown: asks the controller (a `shutdown/<id>` key under this broker's
   * lease) to move the leadership of every partition this broker leads to another live ISR
   * member, and waits until the cache shows it done, asking again up to
   * `controlledShutdownMaxRetries` times, each wait bounded by
   * `controlledShutdownRetryBackoffMs`. Partitions with no other live ISR member stay led by
   * this broker until it exits. A controller resigns afterwards, without campaigning again,
   * so another broker takes over while this one still answers. Call before `close()`.
   */
  async controlledShutdown(): Promise<ControlledShutdownResult> {
    const started = performance.now();
    const ledAtStart = this.ledPartitions().length;
    const result = (remaining: string[], resigned: boolean): ControlledShutdownResult => ({
      led: ledAtStart,
      moved: ledAtStart - remaining.length,
      remaining,
      elapsedMs: Math.round(performance.now() - started),
      resigned,
    });
    if (this.closed || !this.sessionOk || !this.lease || !this.options.controlledShutdownEnable) return result(this.ledPartitions(), false);
    // A leaving broker may still become controller (all brokers of a cluster stopping at once
    // must still have one): it then moves what it can, its own partitions included, and resigns.
    let lastMove = started;
    for (let attempt = 1; attempt <= this.options.controlledShutdownMaxRetries; attempt++) {
      const leaseId = await this.lease.grant();
      await withTimeout(this.ns.put(shutdownKey(this.nodeId)).value(JSON.stringify({ attempt, at: new Date().toISOString() })).lease(leaseId).exec(), 'asking for a controlled shutdown').catch(
        (err: unknown) => {
          throw unavailable(err, 'asking for a controlled shutdown');
        },
      );
      const done = await this.waitFor(() => this.movable().length === 0, this.options.controlledShutdownRetryBackoffMs);
      lastMove = performance.now();
      if (done) break;
      this.emit('warning', `controlled shutdown of broker ${this.nodeId}: ${this.movable().length} partitions still to move after attempt ${attempt}`);
    }
    const remaining = this.ledPartitions();
    let resigned = false;
    this.resigned = true;
    if (this.controllerNode === this.nodeId) {
      // Resign: the others see the key go and campaign; this broker no longer does.
      await withTimeout(this.ns.if(CONTROLLER, 'Value', '==', String(this.nodeId)).then(this.ns.delete().key(CONTROLLER)).commit(), 'resigning as controller').catch(() => undefined);
      resigned = true;
    }
    return { ...result(remaining, resigned), elapsedMs: Math.round(lastMove - started) };
  }

  /** Partitions this broker leads now, as `topic-p`. */
  private ledPartitions(): string[] {
    return this.cache
      .partitions()
      .filter((p) => p.leader === this.nodeId)
      .map((p) => `${p.topic}-${p.partition}`);
  }

  /** Partitions this broker leads that another live, not shutting down ISR member could lead. */
  private movable(): string[] {
    const live = this.cache.liveBrokerIds();
    const leaving = this.cache.shuttingDown();
    return this.cache
      .partitions()
      .filter((p) => p.leader === this.nodeId && p.isr.some((id) => id !== this.nodeId && live.has(id) && !leaving.has(id)))
      .map((p) => `${p.topic}-${p.partition}`);
  }

  /** Resolves true once `check()` holds (re-checked on every cache change), false after `ms`. */
  private waitFor(check: () => boolean, ms: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onChange = () => {
        if (!check()) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(check()), ms);
      const finish = (value: boolean) => {
        clearTimeout(timer);
        this.off('change', onChange);
        resolve(value);
      };
      this.on('change', onChange);
    });
  }

  /** Spreads each topic's first replica differently (Kafka picks a random start; a hash keeps it reproducible). */
  private startFor(name: string, brokers: number): number {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
    return Math.abs(h) % Math.max(1, brokers);
  }

  private ensureOpen(): void {
    if (this.closed) throw new SkeinError('SKEIN_CLOSED', 'this cluster member has left the cluster');
  }
}

export type { BrokerEndpoint, CacheChange };
