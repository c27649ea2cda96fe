/**
 * Topic administration of a broker: create (explicitly or on first use), delete, add
 * partitions, alter configs. Alone, each change is committed to the metadata log one at a time
 * (the broker's SerialQueue) and applied to the TopicRegistry; a reader never sees a
 * half-created topic (intent, folders, commit: docs/topics.md). In a cluster, user topics are
 * changed through the controller (etcd) and this broker's replicas follow the cluster state
 * (ClusterAttachment), so the calls here only ask and wait until the change has settled.
 *
 * Lifecycle: `load` once at open (the committed topics, their ids and stray folders), then
 * the calls. Event loop only. Makes Partitions through the PartitionOpener; knows no file
 * paths, sockets or Kafka numeric codes.
 */
import { randomUUID } from 'node:crypto';
import { SkeinError } from '../errors.js';
import type { LogManager } from '../storage/log-manager.js';
import type { Partition } from '../partition/partition.js';
import type { StoredOffset } from './group/offset-store.js';
import type { ClusterTopics } from './cluster-topics.js';
import type { MetadataLog } from './metadata-log.js';
import type { PartitionOpener } from './partition-opener.js';
import { checkPartitionLimits, type PartitionLimits } from './partition-limits.js';
import type { SerialQueue } from './serial-queue.js';
import { removeStrayFolders, staleOffset } from './topic-ids.js';
import { isInternalTopic, validateTopicName } from './topic-name.js';
import { logConfigOf, validateTopicConfigs, type TopicConfigValues } from './topic-config.js';
import type { TopicRegistry, TopicState } from './topic-registry.js';
import type { NewTopic } from './types.js';

export type TopicChange =
  | { type: 'created'; topic: string; partitions: number; configs: Record<string, string> }
  | { type: 'deleted'; topic: string }
  | { type: 'partitions-added'; topic: string; partitions: number }
  | { type: 'configs-changed'; topic: string; configs: Record<string, string> };

export interface TopicAdminOptions {
  topics: TopicRegistry;
  partitions: PartitionOpener;
  metadata: MetadataLog;
  queue: SerialQueue;
  /** Set once the broker is part of a cluster. */
  cluster: () => ClusterTopics | undefined;
  /** Removes committed offsets (of a deleted topic, or of incarnations dead before a crash). */
  forgetOffsets: (matches: (offset: StoredOffset) => boolean) => Promise<void>;
  /** Wakes fetches waiting on a partition that goes away (they then find it gone). */
  wakeReaders: (partition: Partition) => void;
  ensureOpen: () => void;
  /** Whether a topic exists (here, or in the cluster). */
  hasTopic: (name: string) => boolean;
  /** num.partitions for auto-created topics and createTopics without a count. */
  numPartitions: number;
  autoCreateTopics: boolean;
  limits: PartitionLimits;
  topicDefaults: TopicConfigValues;
  onTopicChange: ((change: TopicChange) => void) | undefined;
}

export class TopicAdmin {
  private readonly options: TopicAdminOptions;
  private readonly creating = new Map<string, Promise<void>>();

  constructor(options: TopicAdminOptions) {
    this.options = options;
  }

  /** At open: every committed topic opened, after the folders of dead incarnations are gone. */
  async load(logs: LogManager, warn: (message: string) => void): Promise<void> {
    const { metadata, topics, partitions } = this.options;
    // Topics from before topic ids get one now (their folders adopt it as they open).
    for (const [topic, t] of metadata.topics) if (t.topicId === undefined) await metadata.append({ type: 'topic-id-assigned', topic, topicId: randomUUID() });
    // Folders of deleted topics and of creations cut short go before anything can read them.
    await removeStrayFolders(logs, metadata, warn);
    for (const [name, topic] of metadata.topics) {
      const opened = await partitions.openTopic(name, topic.topicId!, topic.configs, 0, topic.numPartitions, false);
      topics.set({ name, topicId: topic.topicId!, internal: false, configs: topic.configs, partitions: opened });
    }
    // Offsets of topics deleted before a crash could tombstone them.
    await this.options.forgetOffsets((o) => staleOffset(o, metadata));
  }

  /** Creates a topic. SKEIN_TOPIC_ALREADY_EXISTS, SKEIN_INVALID_TOPIC, SKEIN_INVALID_PARTITIONS, SKEIN_INVALID_CONFIG. */
  createTopic(spec: NewTopic, options: { validateOnly?: boolean } = {}): Promise<void> {
    const name = validateTopicName(spec?.topic);
    if (isInternalTopic(name) || name.startsWith('__skein')) {
      return Promise.reject(new SkeinError('SKEIN_INVALID_TOPIC', `${name} is reserved for the broker`, { topic: name }));
    }
    const numPartitions = spec.numPartitions === undefined || spec.numPartitions === -1 ? this.options.numPartitions : spec.numPartitions;
    if (!Number.isInteger(numPartitions) || numPartitions < 1) {
      return Promise.reject(new SkeinError('SKEIN_INVALID_PARTITIONS', `numPartitions must be a positive integer, got ${String(spec.numPartitions)}`, { topic: name }));
    }
    let configs: TopicConfigValues;
    try {
      configs = validateTopicConfigs(spec.configEntries);
    } catch (err) {
      return Promise.reject(err);
    }
    const cluster = this.options.cluster();
    if (cluster) {
      return (async () => {
        if (cluster.hasTopic(name)) throw new SkeinError('SKEIN_TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
        if (options.validateOnly) return;
        await cluster.member.createTopic({
          name,
          partitions: numPartitions,
          replicationFactor: spec.replicationFactor === undefined || spec.replicationFactor === -1 ? undefined : spec.replicationFactor,
          assignment: spec.replicaAssignment,
          configs,
        });
        await cluster.settled();
      })();
    }
    const { topics, metadata, partitions } = this.options;
    return this.options.queue.run(async () => {
      this.options.ensureOpen();
      if (topics.has(name)) throw new SkeinError('SKEIN_TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
      checkPartitionLimits(this.options.limits, name, numPartitions, topics.userPartitionCount());
      if (options.validateOnly) return;
      // Intent, folders, commit: the topic exists for readers only once 'topic-created' is stored.
      const topicId = randomUUID();
      await metadata.append({ type: 'topic-creating', topic: name, topicId });
      const opened = await partitions.openTopic(name, topicId, configs, 0, numPartitions, true);
      try {
        await metadata.append({ type: 'topic-created', topic: name, numPartitions, configs, topicId });
      } catch (err) {
        await partitions.removeUncommitted(opened);
        throw err;
      }
      topics.set({ name, topicId, internal: false, configs, partitions: opened });
      topics.tellAdded(opened);
      this.options.onTopicChange?.({ type: 'created', topic: name, partitions: numPartitions, configs: { ...configs } });
    });
  }

  /**
   * The topic, created with the broker defaults if it does not exist and auto-creation is on
   * (and `allowAutoCreate`); otherwise SKEIN_UNKNOWN_TOPIC_OR_PARTITION.
   */
  async ensureTopic(name: string, allowAutoCreate = true): Promise<void> {
    if (this.options.hasTopic(name)) return;
    validateTopicName(name);
    if (!allowAutoCreate || !this.options.autoCreateTopics || isInternalTopic(name)) {
      throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    }
    let pending = this.creating.get(name);
    if (!pending) {
      pending = this.createTopic({ topic: name }).catch((err: unknown) => {
        if (!(err instanceof SkeinError && err.code === 'SKEIN_TOPIC_ALREADY_EXISTS')) throw err;
      });
      this.creating.set(name, pending);
      pending.finally(() => this.creating.delete(name)).catch(() => undefined);
    }
    await pending;
  }

  /** Deletes a topic and its data. Fetches waiting on it are woken (and then find it gone). */
  deleteTopic(name: string): Promise<void> {
    const cluster = this.options.cluster();
    if (cluster && !isInternalTopic(name)) return cluster.member.deleteTopic(name).then(() => cluster.settled());
    const { topics, metadata, partitions } = this.options;
    return this.options.queue.run(async () => {
      const topic = topics.get(name);
      if (!topic || topic.internal) {
        throw new SkeinError(topic ? 'SKEIN_INVALID_TOPIC' : 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION', topic ? `${name} is internal` : `unknown topic ${name}`, { topic: name });
      }
      // The commit point: from here the topic id is dead, and a crash before the folders are
      // gone leaves them to removeStrayFolders (and its offsets to staleOffset) at the next open.
      await metadata.append({ type: 'topic-deleted', topic: name, topicId: topic.topicId });
      // The registry tells observers (metrics) of each partition.
      const removed = topics.delete(name);
      for (const p of removed) {
        p.detach();
        this.options.wakeReaders(p);
      }
      for (const p of removed) await partitions.delete(name, p.partition);
      await this.options.forgetOffsets((o) => o.topic === name);
      this.options.onTopicChange?.({ type: 'deleted', topic: name });
    });
  }

  /** Grows a topic to `count` partitions (never shrinks: SKEIN_INVALID_PARTITIONS). */
  createPartitions(name: string, count: number, assignment?: number[][]): Promise<void> {
    const cluster = this.options.cluster();
    if (cluster && !isInternalTopic(name)) return cluster.member.createPartitions(name, count, assignment).then(() => cluster.settled());
    const { topics, metadata, partitions } = this.options;
    return this.options.queue.run(async () => {
      const topic = this.userTopicOrThrow(name);
      const current = topic.partitions.length;
      if (!Number.isInteger(count) || count <= current) {
        throw new SkeinError('SKEIN_INVALID_PARTITIONS', `topic ${name} has ${current} partitions; the new count must be an integer above that, got ${String(count)}`, { topic: name });
      }
      checkPartitionLimits(this.options.limits, name, count - current, topics.userPartitionCount());
      // Folders first, then the commit: folders past the committed count are removed at open.
      const added = await partitions.openTopic(name, topic.topicId, topic.configs, current, count, true);
      try {
        await metadata.append({ type: 'partitions-added', topic: name, numPartitions: count });
      } catch (err) {
        await partitions.removeUncommitted(added);
        throw err;
      }
      topic.partitions.push(...added);
      topics.tellAdded(added);
      this.options.onTopicChange?.({ type: 'partitions-added', topic: name, partitions: count });
    });
  }

  /**
   * Sets topic configs. `incremental` (Kafka IncrementalAlterConfigs) merges into the current
   * ones, a value of null removing one; otherwise (AlterConfigs) the entries replace them all.
   */
  alterConfigs(name: string, entries: Array<{ name: string; value: string | null }>, options: { incremental?: boolean; validateOnly?: boolean } = {}): Promise<void> {
    return this.options.queue.run(async () => {
      const topic = this.userTopicOrThrow(name);
      const base: TopicConfigValues = options.incremental ? { ...topic.configs } : {};
      for (const entry of entries) {
        if (entry.value === null) delete base[entry.name];
        else base[entry.name] = entry.value;
      }
      const configs = validateTopicConfigs(Object.entries(base).map(([n, value]) => ({ name: n, value })));
      if (options.validateOnly) return;
      await this.options.metadata.append({ type: 'configs-altered', topic: name, configs });
      topic.configs = configs;
      const logConfig = logConfigOf(configs, this.options.topicDefaults);
      for (const p of topic.partitions) p.log.updateConfig(logConfig);
      this.options.onTopicChange?.({ type: 'configs-changed', topic: name, configs: { ...configs } });
    });
  }

  private userTopicOrThrow(name: string): TopicState {
    const topic = this.options.topics.topicOrThrow(name);
    if (topic.internal) throw new SkeinError('SKEIN_INVALID_TOPIC', `${name} is internal`, { topic: name });
    return topic;
  }
}
