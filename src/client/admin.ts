/**
 * The embedded admin, shaped like kafkajs's admin where it has the same call (createTopics,
 * deleteTopics, listTopics, createPartitions, fetchTopicMetadata, fetchTopicOffsets,
 * fetchTopicOffsetsByTimestamp, describeConfigs, alterConfigs, listGroups, describeGroups,
 * deleteGroups, fetchOffsets, resetOffsets, setOffsets), plus `describeGroup`, which gives a
 * group's members with their decoded assignments and, per partition, the committed offset,
 * the log end offset and the lag: consumer lag is one call away.
 * Offsets are decimal strings where kafkajs uses strings, numbers in Skein's own calls.
 */
import { SkeinError } from '../errors.js';
import type { Broker } from '../broker/broker.js';
import { decodeAssignment } from '../broker/group/consumer-protocol.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type NewTopic } from '../broker/types.js';
import { array, integer, nonEmptyString, object, offset as checkOffset, optionalBoolean, string, stringArray, timestamp as checkTimestamp } from './arguments.js';

/** Brokers in this cluster (one, until replication arrives): the largest replication factor. */
const BROKERS = 1;

/** kafkajs's ConfigResourceTypes.TOPIC. */
export const TOPIC_RESOURCE = 2;

export interface PartitionLag {
  topic: string;
  partition: number;
  /** -1 when the group committed nothing for the partition. */
  committedOffset: number;
  logStartOffset: number;
  logEndOffset: number;
  /** Records not yet consumed: logEnd - max(committed, logStart) (all of them when nothing is committed). */
  lag: number;
}

export interface GroupMemberView {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  assignment: Array<{ topic: string; partitions: number[] }>;
}

export interface GroupView {
  groupId: string;
  state: string;
  protocol: string;
  generationId: number;
  leader: string;
  members: GroupMemberView[];
  offsets: PartitionLag[];
  /** Sum of `lag` over `offsets`. */
  totalLag: number;
}

export class Admin {
  private readonly broker: Broker;

  constructor(broker: Broker) {
    this.broker = broker;
  }

  /** Nothing to connect in process; kept so kafkajs code runs unchanged. */
  async connect(): Promise<void> {
    this.ensureOpen();
  }

  async disconnect(): Promise<void> {}

  /** Creates topics; true if all were created, false if some already existed (as kafkajs). */
  async createTopics(options: { topics: Array<NewTopic & { replicationFactor?: number }>; validateOnly?: boolean }): Promise<boolean> {
    this.ensureOpen();
    object(options, 'createTopics options');
    optionalBoolean(options.validateOnly, 'validateOnly');
    array(options.topics, 'topics').forEach((topic, i) => {
      object(topic, `topics[${i}]`);
      nonEmptyString(topic.topic, `topics[${i}].topic`);
      if (topic.numPartitions !== undefined && typeof topic.numPartitions !== 'number') integer(topic.numPartitions, `topics[${i}].numPartitions`);
      // A number out of range is the broker's SKEIN_INVALID_PARTITIONS (Kafka's INVALID_PARTITIONS).
      if (topic.replicationFactor !== undefined && topic.replicationFactor !== -1) {
        integer(topic.replicationFactor, `topics[${i}].replicationFactor`, 1);
        if (topic.replicationFactor > BROKERS) {
          throw new SkeinError('SKEIN_INVALID_REPLICATION_FACTOR', `replicationFactor ${topic.replicationFactor} is above the number of brokers (${BROKERS})`, { topic: topic.topic });
        }
      }
      if (topic.configEntries !== undefined) {
        array(topic.configEntries, `topics[${i}].configEntries`).forEach((entry, j) => {
          object(entry, `topics[${i}].configEntries[${j}]`);
          nonEmptyString(entry.name, `topics[${i}].configEntries[${j}].name`);
          string(entry.value, `topics[${i}].configEntries[${j}].value`);
        });
      }
    });
    let allCreated = true;
    for (const topic of options.topics) {
      try {
        await this.broker.createTopic(topic, { validateOnly: options.validateOnly });
      } catch (err) {
        if (err instanceof SkeinError && err.code === 'SKEIN_TOPIC_ALREADY_EXISTS') allCreated = false;
        else throw err;
      }
    }
    return allCreated;
  }

  async deleteTopics(options: { topics: string[] }): Promise<void> {
    this.ensureOpen();
    const topics = stringArray(object(options, 'deleteTopics options').topics, 'topics');
    for (const topic of topics) await this.broker.deleteTopic(topic);
  }

  async listTopics(): Promise<string[]> {
    this.ensureOpen();
    return this.broker.listTopics();
  }

  async createPartitions(options: { topicPartitions: Array<{ topic: string; count: number }> }): Promise<boolean> {
    this.ensureOpen();
    const wanted = array(object(options, 'createPartitions options').topicPartitions, 'topicPartitions');
    wanted.forEach((entry, i) => {
      object(entry, `topicPartitions[${i}]`);
      nonEmptyString(entry.topic, `topicPartitions[${i}].topic`);
      integer(entry.count, `topicPartitions[${i}].count`, 1);
    });
    for (const { topic, count } of wanted) await this.broker.createPartitions(topic, count);
    return true;
  }

  async fetchTopicMetadata(options: { topics?: string[] } = {}) {
    this.ensureOpen();
    object(options, 'fetchTopicMetadata options');
    if (options.topics !== undefined) stringArray(options.topics, 'topics');
    const names = options.topics && options.topics.length > 0 ? options.topics : this.broker.listTopics();
    return {
      topics: names.map((name) => {
        const description = this.broker.describeTopic(name);
        return {
          name,
          partitions: description.partitions.map((p) => ({
            partitionErrorCode: 0,
            partitionId: p.partition,
            leader: p.leader,
            replicas: p.replicas,
            isr: p.isr,
            offlineReplicas: [] as number[],
          })),
        };
      }),
    };
  }

  /** Per partition: low = log start offset, high = log end offset (kafkajs shape, strings). */
  async fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string; high: string; low: string }>> {
    this.ensureOpen();
    nonEmptyString(topic, 'topic');
    return this.broker.describeTopic(topic).partitions.map((p) => ({
      partition: p.partition,
      offset: String(p.highWatermark),
      high: String(p.highWatermark),
      low: String(p.logStartOffset),
    }));
  }

  /** The first offset at or after `timestamp` per partition (the log end when none is). */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<Array<{ partition: number; offset: string }>> {
    this.ensureOpen();
    nonEmptyString(topic, 'topic');
    const at = timestamp === undefined ? LATEST_TIMESTAMP : checkTimestamp(timestamp, 'timestamp');
    const count = this.broker.partitionCount(topic);
    return Array.from({ length: count }, (_, partition) => {
      let { offset } = this.broker.listOffsets(topic, partition, at);
      if (offset < 0) offset = this.broker.listOffsets(topic, partition, LATEST_TIMESTAMP).offset;
      return { partition, offset: String(offset) };
    });
  }

  async describeConfigs(options: { resources: Array<{ type: number; name: string; configNames?: string[] }> }) {
    this.ensureOpen();
    array(object(options, 'describeConfigs options').resources, 'resources').forEach((resource, i) => {
      object(resource, `resources[${i}]`);
      integer(resource.type, `resources[${i}].type`);
      nonEmptyString(resource.name, `resources[${i}].name`);
      if (resource.configNames !== undefined) stringArray(resource.configNames, `resources[${i}].configNames`);
    });
    return {
      throttleTime: 0,
      resources: options.resources.map((resource) => {
        if (resource.type !== TOPIC_RESOURCE) {
          throw new SkeinError('SKEIN_INVALID_ARGUMENT', `only topic configs (type ${TOPIC_RESOURCE}) are supported, got type ${resource.type}`);
        }
        const wanted = resource.configNames && resource.configNames.length > 0 ? new Set(resource.configNames) : undefined;
        return {
          errorCode: 0,
          errorMessage: null,
          resourceType: resource.type,
          resourceName: resource.name,
          configEntries: this.broker
            .describeConfigs(resource.name)
            .filter((c) => !wanted || wanted.has(c.name))
            .map((c) => ({
              configName: c.name,
              configValue: c.value,
              readOnly: c.readOnly,
              isDefault: c.isDefault,
              isSensitive: c.sensitive,
              configSource: c.source === 'topic' ? 1 : c.source === 'broker-default' ? 5 : 5,
              configSynonyms: [] as unknown[],
            })),
        };
      }),
    };
  }

  /** Replaces a topic's configs (kafkajs alterConfigs); pass `incremental: true` to merge instead. */
  async alterConfigs(options: {
    resources: Array<{ type: number; name: string; configEntries: Array<{ name: string; value: string | null }> }>;
    validateOnly?: boolean;
    incremental?: boolean;
  }): Promise<void> {
    this.ensureOpen();
    object(options, 'alterConfigs options');
    optionalBoolean(options.validateOnly, 'validateOnly');
    optionalBoolean(options.incremental, 'incremental');
    array(options.resources, 'resources').forEach((resource, i) => {
      object(resource, `resources[${i}]`);
      integer(resource.type, `resources[${i}].type`);
      nonEmptyString(resource.name, `resources[${i}].name`);
      array(resource.configEntries, `resources[${i}].configEntries`).forEach((entry, j) => {
        object(entry, `resources[${i}].configEntries[${j}]`);
        nonEmptyString(entry.name, `resources[${i}].configEntries[${j}].name`);
        if (entry.value !== null) string(entry.value, `resources[${i}].configEntries[${j}].value`);
      });
    });
    for (const resource of options.resources) {
      if (resource.type !== TOPIC_RESOURCE) {
        throw new SkeinError('SKEIN_INVALID_ARGUMENT', `only topic configs (type ${TOPIC_RESOURCE}) are supported, got type ${resource.type}`);
      }
      await this.broker.alterConfigs(resource.name, resource.configEntries, { validateOnly: options.validateOnly, incremental: options.incremental });
    }
  }

  async listGroups(): Promise<{ groups: Array<{ groupId: string; protocolType: string; state: string }> }> {
    this.ensureOpen();
    return { groups: this.broker.groups.listGroups() };
  }

  async describeGroups(groupIds: string[]) {
    this.ensureOpen();
    stringArray(groupIds, 'groupIds');
    return {
      groups: this.broker.groups.describeGroups(groupIds).map((g) => ({
        groupId: g.groupId,
        state: g.state,
        protocol: g.protocolName,
        protocolType: g.protocolType,
        errorCode: 0,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.memberMetadata,
          memberAssignment: m.memberAssignment,
        })),
      })),
    };
  }

  async deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number; error?: SkeinError }>> {
    this.ensureOpen();
    stringArray(groupIds, 'groupIds');
    const results = await this.broker.groups.deleteGroups(groupIds);
    const failed = [...results].filter(([, err]) => err);
    if (failed.length > 0) throw failed[0]![1]!;
    return groupIds.map((groupId) => ({ groupId, errorCode: 0 }));
  }

  /** Committed offsets of a group (kafkajs shape: offsets as strings, '-1' when none). */
  async fetchOffsets(options: { groupId: string; topics?: string[] }) {
    this.ensureOpen();
    nonEmptyString(object(options, 'fetchOffsets options').groupId, 'groupId');
    if (options.topics !== undefined) stringArray(options.topics, 'topics');
    const topics = options.topics && options.topics.length > 0 ? options.topics : this.broker.listTopics();
    const partitions = topics.flatMap((topic) =>
      Array.from({ length: this.broker.partitionCount(topic) }, (_, partition) => ({ topic, partition })),
    );
    const committed = await this.broker.groups.fetchOffsets({ groupId: options.groupId, partitions });
    return topics.map((topic) => ({
      topic,
      partitions: committed
        .filter((c) => c.topic === topic)
        .map((c) => ({ partition: c.partition, offset: String(c.offset), metadata: c.metadata })),
    }));
  }

  /** Moves a group's committed offsets of `topic` to the start (earliest) or the end of each partition. */
  async resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    this.ensureOpen();
    nonEmptyString(object(options, 'resetOffsets options').groupId, 'groupId');
    nonEmptyString(options.topic, 'topic');
    optionalBoolean(options.earliest, 'earliest');
    const count = this.broker.partitionCount(options.topic);
    const partitions = Array.from({ length: count }, (_, partition) => ({
      partition,
      offset: String(this.broker.listOffsets(options.topic, partition, options.earliest ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP).offset),
    }));
    await this.setOffsets({ groupId: options.groupId, topic: options.topic, partitions });
  }

  /** Sets committed offsets of an empty group (SKEIN_UNKNOWN_MEMBER_ID style errors while it has members). */
  async setOffsets(options: { groupId: string; topic: string; partitions: Array<{ partition: number; offset: string | number }> }): Promise<void> {
    this.ensureOpen();
    nonEmptyString(object(options, 'setOffsets options').groupId, 'groupId');
    nonEmptyString(options.topic, 'topic');
    const count = this.broker.partitionCount(options.topic);
    const offsets = array(options.partitions, 'partitions').map((p, i) => {
      object(p, `partitions[${i}]`);
      const partition = integer(p.partition, `partitions[${i}].partition`);
      if (partition >= count) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${options.topic} has no partition ${partition}`, { topic: options.topic, partition });
      return { topic: options.topic, partition, offset: checkOffset(p.offset, `partitions[${i}].offset`) };
    });
    const described = this.broker.groups.describeGroups([options.groupId])[0];
    if (described && described.members.length > 0) {
      throw new SkeinError('SKEIN_NON_EMPTY_GROUP', `group ${options.groupId} has members; stop them before moving its offsets`, { groupId: options.groupId });
    }
    await this.broker.groups.commitOffsets({
      groupId: options.groupId,
      generationId: -1,
      memberId: '',
      offsets,
    });
  }

  /** A group's members, decoded assignments, and per-partition committed offset and lag. */
  async describeGroup(groupId: string): Promise<GroupView> {
    this.ensureOpen();
    nonEmptyString(groupId, 'groupId');
    const described = this.broker.groups.describeGroups([groupId])[0]!;
    const members: GroupMemberView[] = described.members.map((m) => {
      let assignment: Array<{ topic: string; partitions: number[] }> = [];
      if (m.memberAssignment.length > 0 && described.protocolType === 'consumer') {
        try {
          assignment = decodeAssignment(m.memberAssignment).assignedPartitions;
        } catch {
          // A member of another client family may use its own bytes; show no assignment then.
        }
      }
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment };
    });
    const committed = await this.broker.groups.fetchOffsets({ groupId, partitions: null });
    const offsets: PartitionLag[] = [];
    const seen = new Set<string>();
    const add = (topic: string, partition: number, committedOffset: number) => {
      const key = `${topic}\u0000${partition}`;
      if (seen.has(key) || !this.broker.hasTopic(topic) || partition >= this.broker.partitionCount(topic)) return;
      seen.add(key);
      const { logStartOffset, highWatermark } = this.broker.offsets(topic, partition);
      const from = committedOffset < 0 ? logStartOffset : Math.max(committedOffset, logStartOffset);
      offsets.push({ topic, partition, committedOffset, logStartOffset, logEndOffset: highWatermark, lag: Math.max(0, highWatermark - from) });
    };
    for (const c of committed) add(c.topic, c.partition, c.offset);
    for (const m of members) for (const a of m.assignment) for (const p of a.partitions) add(a.topic, p, -1);
    offsets.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return {
      groupId,
      state: described.state,
      protocol: described.protocolName,
      generationId: described.generationId,
      leader: described.leader,
      members,
      offsets,
      totalLag: offsets.reduce((n, o) => n + o.lag, 0),
    };
  }

  private ensureOpen(): void {
    if (this.broker.closed) throw new SkeinError('SKEIN_DISCONNECTED', 'the broker is closed');
  }
}
