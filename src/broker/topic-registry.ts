/**
 * The topics this broker holds and their open Partitions, by name: user topics of the metadata
 * log (or, in a cluster, the replicas assigned here), `__consumer_offsets` and the metadata
 * topic's own entry when present. Also the observers told as partitions of user topics come and
 * go and of every fetch's result (the metrics).
 *
 * A map and its observers, nothing more: what a topic is made of comes from TopicAdmin (the
 * metadata log) or ClusterAttachment (etcd), which set and delete entries here; Broker routes
 * requests to the Partitions found here. Lifecycle: the broker's. Event loop only. Knows
 * nothing of files, etcd or the protocol.
 */
import { SkeinError } from '../errors.js';
import type { Partition } from '../partition/partition.js';
import type { TopicConfigValues } from './topic-config.js';
import type { FetchResult } from './types.js';

export interface TopicState {
  name: string;
  /** KIP-516 topic id of this incarnation ('' for the internal topics). */
  topicId: string;
  internal: boolean;
  configs: TopicConfigValues;
  /** Indexed by partition; a cluster topic's array has holes where other brokers hold the replicas. */
  partitions: Partition[];
}

/**
 * Told as partitions of user topics come and go (at observe() for those already open) and of
 * every fetch's result (both front doors fetch through Broker.fetch): the metrics subscribe to
 * partitions' events and count deliveries here, once per record, whoever fetched.
 */
export interface BrokerObserver {
  partitionAdded?(partition: Partition): void;
  partitionRemoved?(partition: Partition): void;
  fetched?(result: FetchResult): void;
}

export class TopicRegistry {
  private readonly topics = new Map<string, TopicState>();
  private readonly observers = new Set<BrokerObserver>();

  get(name: string): TopicState | undefined {
    return this.topics.get(name);
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  set(topic: TopicState): void {
    this.topics.set(topic.name, topic);
  }

  /**
   * Forgets a topic; observers are told of each partition this broker held (user topics).
   * Returns those partitions, for the caller to detach and delete.
   */
  delete(name: string): Partition[] {
    const topic = this.topics.get(name);
    if (!topic) return [];
    this.topics.delete(name);
    const held = heldPartitions(topic);
    if (!topic.internal) for (const p of held) this.tellRemoved(p);
    return held;
  }

  /**
   * Forgets this broker's replica of one partition (moved to other brokers): the topic's array
   * gets a hole there, and observers are told (user topics). Returns the replica, if held.
   */
  deleteReplica(name: string, partition: number): Partition | undefined {
    const topic = this.topics.get(name);
    const replica = topic?.partitions[partition];
    if (!topic || !replica) return undefined;
    delete topic.partitions[partition];
    if (!topic.internal) this.tellRemoved(replica);
    return replica;
  }

  values(): IterableIterator<TopicState> {
    return this.topics.values();
  }

  /** This broker's replica of a topic-partition, led or followed; undefined when it holds none. */
  replica(topic: string, partition: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** Every open Partition (the holes of cluster topics left out). */
  allPartitions(): Partition[] {
    return [...this.topics.values()].flatMap(heldPartitions);
  }

  /** Partitions of every topic but the internal ones. */
  userPartitionCount(): number {
    let total = 0;
    for (const t of this.topics.values()) if (!t.internal) total += t.partitions.length;
    return total;
  }

  topicOrThrow(name: string): TopicState {
    const topic = this.topics.get(name);
    if (!topic) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    return topic;
  }

  /**
   * Adds an observer (see BrokerObserver); it is told at once about every open partition of a
   * user topic. Returns the function that removes it.
   */
  observe(observer: BrokerObserver): () => void {
    this.observers.add(observer);
    // Only the partitions held here: a cluster topic's array has holes (for..of would hand them out).
    for (const t of this.topics.values()) if (!t.internal) for (const p of heldPartitions(t)) observer.partitionAdded?.(p);
    return () => void this.observers.delete(observer);
  }

  tellAdded(partitions: Partition[]): void {
    for (const o of this.observers) for (const p of partitions) o.partitionAdded?.(p);
  }

  private tellRemoved(partition: Partition): void {
    for (const o of this.observers) o.partitionRemoved?.(partition);
  }

  tellFetched(result: FetchResult): void {
    for (const o of this.observers) o.fetched?.(result);
  }
}

/** The partitions of a topic this broker holds (a cluster topic's array has holes). */
function heldPartitions(topic: TopicState): Partition[] {
  return topic.partitions.filter((p) => p !== undefined);
}
