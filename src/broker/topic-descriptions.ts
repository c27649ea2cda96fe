/**
 * What a broker answers about its topics (Metadata, ListTopics, DescribeTopics,
 * DescribeConfigs): alone, from its TopicRegistry; in a cluster, user and internal topics from
 * the cluster state (ClusterTopics: partitions, replicas, leaders, ISR, configs), with this
 * broker's replicas adding their offsets and sizes. The metadata topic is always local.
 *
 * Read-only, no state of its own; lifecycle: the broker's. Event loop only. Knows nothing of
 * how topics are created, files, or the protocol.
 */
import { SkeinError } from '../errors.js';
import type { ClusterTopics } from './cluster-topics.js';
import { METADATA_TOPIC, isInternalTopic } from './topic-name.js';
import { describeBrokerConfigs, describeTopicConfigs, type DescribedConfig, type TopicConfigValues } from './topic-config.js';
import type { TopicRegistry } from './topic-registry.js';
import type { TopicDescription } from './types.js';

export interface TopicDescriptionsOptions {
  nodeId: number;
  topics: TopicRegistry;
  /** Set once the broker is part of a cluster. */
  cluster: () => ClusterTopics | undefined;
  topicDefaults: TopicConfigValues;
  /** The broker's own settings a BROKER resource of DescribeConfigs shows. */
  brokerSettings: { numPartitions: number; autoCreateTopics: boolean; retentionCheckIntervalMs: number; dir: string };
}

export class TopicDescriptions {
  private readonly options: TopicDescriptionsOptions;

  constructor(options: TopicDescriptionsOptions) {
    this.options = options;
  }

  /** The KIP-516 id of a topic's live incarnation, or undefined when it does not exist. */
  topicId(name: string): string | undefined {
    const topic = this.options.topics.get(name);
    return topic && !topic.internal ? topic.topicId : undefined;
  }

  /** Names of the topics (internal ones only when asked). */
  listTopics(includeInternal: boolean): string[] {
    const cluster = this.options.cluster();
    const local = [...this.options.topics.values()].filter((t) => (includeInternal || !t.internal) && (!cluster || t.name === METADATA_TOPIC)).map((t) => t.name);
    const clustered = cluster ? cluster.topics().filter((t) => includeInternal || !isInternalTopic(t)) : [];
    return [...local, ...clustered].sort();
  }

  hasTopic(name: string): boolean {
    const cluster = this.clusterFor(name);
    return cluster ? cluster.hasTopic(name) : this.options.topics.has(name);
  }

  partitionCount(name: string): number {
    const cluster = this.clusterFor(name);
    return cluster ? cluster.partitionCount(name) : this.options.topics.topicOrThrow(name).partitions.length;
  }

  describeTopic(name: string): TopicDescription {
    const cluster = this.clusterFor(name);
    if (cluster) {
      const local = this.options.topics.get(name);
      return {
        name,
        internal: isInternalTopic(name),
        partitions: cluster.describe(name).map((p) => {
          const replica = local?.partitions[p.partition];
          return {
            ...p,
            logStartOffset: replica?.logStartOffset ?? -1,
            highWatermark: replica?.highWatermark ?? -1,
            sizeBytes: replica?.log.size ?? 0,
            segments: replica?.log.segmentCount ?? 0,
          };
        }),
      };
    }
    const topic = this.options.topics.topicOrThrow(name);
    const nodeId = this.options.nodeId;
    return {
      name,
      internal: topic.internal,
      partitions: topic.partitions.map((p) => ({
        partition: p.partition,
        leader: nodeId,
        // The epoch its batches are stamped with (0, or the latest its log holds), so clients'
        // KIP-320 checks (Fetch, ListOffsets, OffsetForLeaderEpoch) agree with Metadata.
        leaderEpoch: p.leaderEpoch,
        replicas: [nodeId],
        isr: [nodeId],
        logStartOffset: p.logStartOffset,
        highWatermark: p.highWatermark,
        sizeBytes: p.log.size,
        segments: p.log.segmentCount,
      })),
    };
  }

  describeConfigs(name: string): DescribedConfig[] {
    const cluster = this.clusterFor(name);
    const clusterConfigs = cluster?.configs(name);
    if (cluster && !clusterConfigs) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    return describeTopicConfigs(clusterConfigs ?? this.options.topics.topicOrThrow(name).configs, this.options.topicDefaults);
  }

  /** The broker's own configs, as a BROKER resource of DescribeConfigs presents them. */
  describeBrokerConfigs(): Array<{ name: string; value: string; isDefault: boolean }> {
    const { nodeId, brokerSettings: settings } = this.options;
    return describeBrokerConfigs(this.options.topicDefaults, {
      'broker.id': String(nodeId),
      'node.id': String(nodeId),
      'num.partitions': String(settings.numPartitions),
      'default.replication.factor': '1',
      'auto.create.topics.enable': String(settings.autoCreateTopics),
      'log.retention.check.interval.ms': String(settings.retentionCheckIntervalMs),
      'log.dirs': settings.dir,
    });
  }

  /** The cluster that answers for a topic: none alone, and none for the (always local) metadata topic. */
  private clusterFor(name: string): ClusterTopics | undefined {
    return name === METADATA_TOPIC ? undefined : this.options.cluster();
  }
}
