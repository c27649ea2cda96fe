/**
 * What topic ids (KIP-516) decide at open: which partition folders and which committed offsets
 * belong to a deleted incarnation of a topic (or to a creation never committed) and must go
 * before anything can read them. The metadata log is the truth: a folder or offset is removed
 * only when the metadata log says its incarnation is dead; a folder it knows nothing about is
 * left alone with a warning (it may hold data the metadata log lost), or set aside as
 * `.stray` when a live topic needs its name. Runs once, in Broker.open.
 */
import type { LogManager } from '../storage/log-manager.js';
import type { StoredOffset } from './group/offset-store.js';
import type { MetadataLog } from './metadata-log.js';
import { isInternalTopic } from './topic-name.js';

const PARTITION_FOLDER = /^(.+)-(\d+)$/;

/** Removes the folders of dead incarnations; returns their names. */
export async function removeStrayFolders(logs: LogManager, metadata: MetadataLog, warn: (message: string) => void): Promise<string[]> {
  const removed: string[] = [];
  for (const name of logs.listNames()) {
    const match = PARTITION_FOLDER.exec(name);
    if (!match || isInternalTopic(match[1]!)) continue;
    const verdict = verdictOf(match[1]!, Number(match[2]), logs.ownerOf(name), metadata);
    if (verdict === 'keep') continue;
    if (verdict === 'unknown') {
      warn(`log folder ${name} belongs to no topic the metadata log knows; left in place`);
      continue;
    }
    if (verdict === 'aside') {
      logs.setAside(name, 'its topic id is neither the live topic\'s nor a deleted one');
      continue;
    }
    await logs.delete(name);
    removed.push(name);
  }
  return removed;
}

function verdictOf(topic: string, partition: number, owner: string | undefined, metadata: MetadataLog): 'keep' | 'remove' | 'aside' | 'unknown' {
  const live = metadata.topics.get(topic);
  if (owner !== undefined) {
    if (live && owner === live.topicId) return partition < live.numPartitions ? 'keep' : 'remove';
    if (metadata.deadTopicIds.has(owner)) return 'remove';
    // An id the metadata log never saw, under a live name: never served, but not deleted either.
    return live ? 'aside' : 'unknown';
  }
  // A folder from before topic ids: adopted by the live topic, removed if its topic was deleted.
  if (live) return partition < live.numPartitions ? 'keep' : 'unknown';
  return metadata.deletedNames.has(topic) ? 'remove' : 'unknown';
}

/** True for a committed offset whose topic incarnation is gone. */
export function staleOffset(offset: StoredOffset, metadata: MetadataLog): boolean {
  const live = metadata.topics.get(offset.topic);
  if (offset.topicId !== undefined) return live?.topicId !== offset.topicId;
  return !live && metadata.deletedNames.has(offset.topic);
}
