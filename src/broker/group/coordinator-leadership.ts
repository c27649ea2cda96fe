/**
 * In a cluster, makes the group coordinator follow the leadership of `__consumer_offsets`:
 * when this broker becomes the recorded leader of an offsets partition (and holds its replica,
 * with a live etcd session) the coordinator loads that partition's groups and offsets; when
 * it stops leading (another broker elected, its session lost, the topic deleted) the
 * coordinator drops them, and their members, told NOT_COORDINATOR, find the new one. Kafka
 * does the same from its LeaderAndIsr handling (onElection / onResignation). The data reaches
 * a new leader through replication; this only decides who serves it.
 *
 * Lifecycle: made by Broker.attachCluster, `start()` once, `close()` with the broker. Driven
 * by the member's `change`, `sessionLost` and `sessionRestored` events; each pass first waits
 * until the broker has applied the changes seen (replicas opened), then compares every
 * partition. Passes never overlap; one asked for during another runs after it. Event loop only.
 */
import type { ClusterMember } from '../../cluster/cluster-member.js';
import type { CacheChange } from '../../cluster/metadata-cache.js';
import { CONSUMER_OFFSETS_TOPIC } from '../topic-name.js';
import type { GroupCoordinator } from './group-coordinator.js';
import type { ClusterOffsetsTopic } from './offsets-topic.js';

export class CoordinatorLeadership {
  private readonly member: ClusterMember;
  private readonly topic: ClusterOffsetsTopic;
  private readonly coordinator: GroupCoordinator;
  private readonly settled: () => Promise<void>;
  private readonly warn: (message: string) => void;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly listeners: Array<() => void> = [];

  constructor(options: { member: ClusterMember; topic: ClusterOffsetsTopic; coordinator: GroupCoordinator; settled: () => Promise<void>; warn: (message: string) => void }) {
    this.member = options.member;
    this.topic = options.topic;
    this.coordinator = options.coordinator;
    this.settled = options.settled;
    this.warn = options.warn;
  }

  /** Subscribes to the cluster and runs a first pass; resolves once that pass is done. */
  start(): Promise<void> {
    const onChange = (change: CacheChange) => {
      if (relevant(change)) void this.sync();
    };
    const onSession = () => void this.sync();
    this.member.on('change', onChange);
    this.member.on('sessionLost', onSession);
    this.member.on('sessionRestored', onSession);
    this.listeners.push(
      () => this.member.off('change', onChange),
      () => this.member.off('sessionLost', onSession),
      () => this.member.off('sessionRestored', onSession),
    );
    return this.sync();
  }

  /** One pass (or a promise of the pass after the running one). */
  sync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.settled();
        if (this.closed) return;
        this.pass();
      } while (this.again && !this.closed);
    })()
      .catch((err: unknown) => this.warn(`group coordinator: leadership of __consumer_offsets not applied: ${(err as Error).message}`))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Partitions this broker leads now are loaded (in the background), all others dropped. */
  private pass(): void {
    const owned = new Set(this.coordinator.ownedPartitions());
    for (let p = 0; p < this.topic.partitionCount; p++) {
      if (this.topic.leads(p)) {
        if (!owned.has(p)) {
          this.coordinator.becomeCoordinator(p).catch((err: unknown) => this.warn(`group coordinator: loading __consumer_offsets-${p} failed: ${(err as Error).message}`));
        }
      } else if (owned.has(p)) {
        this.coordinator.resign(p);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const off of this.listeners.splice(0)) off();
  }
}

function relevant(change: CacheChange): boolean {
  if (change.kind === 'partition') return change.state.topic === CONSUMER_OFFSETS_TOPIC;
  if (change.kind === 'partitionDeleted' || change.kind === 'topic') return change.topic === CONSUMER_OFFSETS_TOPIC;
  return false;
}
