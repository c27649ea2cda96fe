/**
 * The agreed state of one partition as the cluster keeps it in etcd (Kafka's
 * LeaderAndIsr + replica assignment): who holds a replica, who leads, in which leader epoch,
 * and who is in sync. `version` is the etcd mod revision of the key the state was read from:
 * every change is a compare-and-set on it (Kafka's zkVersion / partition epoch), so two
 * writers (the controller electing a leader, the leader shrinking its ISR) cannot both win.
 *
 * Plain data: parsing and checking only. Never holds a Kafka type.
 */
import { SkeinError } from '../errors.js';

/** No leader: the partition is offline (Kafka's -1). */
export const NO_LEADER = -1;

export interface PartitionState {
  /** Brokers holding a replica, the preferred leader first. */
  replicas: number[];
  leader: number;
  /** Grows with every leadership change. */
  leaderEpoch: number;
  /** In-sync replicas, always including the leader while there is one. */
  isr: number[];
}

export interface VersionedPartitionState extends PartitionState {
  topic: string;
  partition: number;
  /** etcd mod revision of the stored state; the compare-and-set token. */
  version: number;
}

export interface TopicAssignment {
  /** One list of replicas per partition. */
  partitions: number[][];
  replicationFactor: number;
  configs: Record<string, string>;
}

function intArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isInteger(v));
}

export function parsePartitionState(text: string, where: string): PartitionState {
  let value: Partial<PartitionState>;
  try {
    value = JSON.parse(text) as Partial<PartitionState>;
  } catch (cause) {
    throw new SkeinError('SKEIN_CORRUPT_CLUSTER_STATE', `partition state at ${where} is not JSON`, { cause, key: where });
  }
  if (!value || !intArray(value.replicas) || !intArray(value.isr) || !Number.isInteger(value.leader) || !Number.isInteger(value.leaderEpoch)) {
    throw new SkeinError('SKEIN_CORRUPT_CLUSTER_STATE', `partition state at ${where} lacks replicas, isr, leader or leaderEpoch`, { key: where });
  }
  return { replicas: value.replicas, isr: value.isr, leader: value.leader!, leaderEpoch: value.leaderEpoch! };
}

export function parseTopicAssignment(text: string, where: string): TopicAssignment {
  let value: Partial<TopicAssignment>;
  try {
    value = JSON.parse(text) as Partial<TopicAssignment>;
  } catch (cause) {
    throw new SkeinError('SKEIN_CORRUPT_CLUSTER_STATE', `topic at ${where} is not JSON`, { cause, key: where });
  }
  if (!value || !Array.isArray(value.partitions) || !value.partitions.every(intArray) || !Number.isInteger(value.replicationFactor)) {
    throw new SkeinError('SKEIN_CORRUPT_CLUSTER_STATE', `topic at ${where} lacks partitions or replicationFactor`, { key: where });
  }
  return { partitions: value.partitions, replicationFactor: value.replicationFactor!, configs: value.configs ?? {} };
}

export function encodePartitionState(state: PartitionState): string {
  return JSON.stringify({ replicas: state.replicas, leader: state.leader, leaderEpoch: state.leaderEpoch, isr: state.isr });
}
