/**
 * Kafka's rules for topic names (Topic.validate in the Java client): 1..249 characters of
 * [a-zA-Z0-9._-], and not "." or "..". 249 leaves room for "-<partition>" and a suffix
 * inside the 255-byte file-name limit, since a partition is a folder named after its topic.
 */
import { SkeinError } from '../errors.js';

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Topics the broker keeps for itself. */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
export const METADATA_TOPIC = '__skein_metadata';

export function isInternalTopic(name: string): boolean {
  return name === CONSUMER_OFFSETS_TOPIC || name === METADATA_TOPIC;
}

export function validateTopicName(name: unknown): string {
  if (typeof name !== 'string') {
    throw new SkeinError('SKEIN_INVALID_TOPIC', `a topic name must be a string, got ${typeof name}`);
  }
  if (name.length === 0) throw new SkeinError('SKEIN_INVALID_TOPIC', 'a topic name cannot be empty', { topic: name });
  if (name === '.' || name === '..') {
    throw new SkeinError('SKEIN_INVALID_TOPIC', `a topic cannot be named "${name}"`, { topic: name });
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new SkeinError('SKEIN_INVALID_TOPIC', `a topic name is at most ${MAX_TOPIC_NAME_LENGTH} characters, got ${name.length}`, { topic: name });
  }
  if (!LEGAL.test(name)) {
    throw new SkeinError('SKEIN_INVALID_TOPIC', `topic name "${name}" has characters outside [a-zA-Z0-9._-]`, { topic: name });
  }
  return name;
}

/** The log folder of one partition, as Kafka names it. */
export function partitionLogName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
