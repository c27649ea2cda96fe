/**
 * Limits on how many partitions the broker takes on: per createTopics/createPartitions call
 * (Kafka 4.0 refuses a request creating more than 10,000 partitions, KAFKA-17870) and in total
 * (KIP-578's max.broker.partitions). Every partition costs a folder, files, descriptors and
 * disk space reserved up front, so one request must not be able to exhaust the disk or the fd
 * limit. A request over a limit is refused whole, before anything is written, with
 * SKEIN_POLICY_VIOLATION (Kafka's POLICY_VIOLATION, what its controller answers here).
 * Pure functions; no state.
 */
import { SkeinError } from '../errors.js';

export interface PartitionLimits {
  perRequest: number;
  perBroker: number;
}

export const DEFAULT_MAX_PARTITIONS_PER_REQUEST = 10_000;
export const DEFAULT_MAX_BROKER_PARTITIONS = 20_000;

export function partitionLimitsOf(options: { maxPartitionsPerRequest?: number; maxBrokerPartitions?: number }): PartitionLimits {
  return {
    perRequest: positive(options.maxPartitionsPerRequest ?? DEFAULT_MAX_PARTITIONS_PER_REQUEST, 'maxPartitionsPerRequest'),
    perBroker: positive(options.maxBrokerPartitions ?? DEFAULT_MAX_BROKER_PARTITIONS, 'maxBrokerPartitions'),
  };
}

/** Throws SKEIN_POLICY_VIOLATION when adding `adding` partitions to `current` breaks a limit. */
export function checkPartitionLimits(limits: PartitionLimits, topic: string, adding: number, current: number): void {
  if (adding > limits.perRequest) {
    throw new SkeinError('SKEIN_POLICY_VIOLATION', `topic ${topic}: ${adding} partitions in one request is above maxPartitionsPerRequest (${limits.perRequest})`, {
      topic,
      partitions: adding,
      limit: limits.perRequest,
    });
  }
  if (current + adding > limits.perBroker) {
    throw new SkeinError('SKEIN_POLICY_VIOLATION', `topic ${topic}: ${adding} more partitions would make ${current + adding} on this broker, above maxBrokerPartitions (${limits.perBroker})`, {
      topic,
      partitions: adding,
      limit: limits.perBroker,
    });
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(value)}`);
  return value;
}
