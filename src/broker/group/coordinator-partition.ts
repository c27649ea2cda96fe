/**
 * Which `__consumer_offsets` partition holds a group, exactly as Kafka computes it
 * (GroupCoordinator.partitionFor: `Utils.abs(groupId.hashCode) % groupMetadataTopicPartitionCount`),
 * so a group lands on the same partition number as it would in Kafka with the same partition
 * count. Java's String.hashCode runs over UTF-16 code units (a non-BMP character counts as its
 * two surrogates, which is what JavaScript's charCodeAt gives), with 32-bit wrap-around; Kafka's
 * Utils.abs maps Integer.MIN_VALUE to 0 where Math.abs would stay negative.
 *
 * Pure functions; no state.
 */

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(s: string): number {
  let hash = 0;
  for (let i = 0; i < s.length; i++) hash = (Math.imul(hash, 31) + s.charCodeAt(i)) | 0;
  return hash;
}

/**
 * Kafka's Utils.abs: Math.abs, except Integer.MIN_VALUE (whose negation overflows back to
 * itself) becomes 0. Not Utils.toPositive (`n & 0x7fffffff`), which gives other numbers.
 */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The partition of `__consumer_offsets` (of `partitions` partitions) that holds `groupId`. */
export function coordinatorPartition(groupId: string, partitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % partitions;
}
