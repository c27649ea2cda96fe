/**
 * `partition.metadata`: the small file that ties a log folder to one owner, an opaque id chosen
 * by the layer above (the broker uses it as Kafka uses its PartitionMetadataFile, KIP-516: the
 * id of one incarnation of the folder's subject). When the subject is deleted and a new one
 * takes the same folder name, it gets a new id, so a folder left behind by the old one (a
 * crash between the deletion record and the folder's removal) is recognised as stale.
 *
 *   version: 0
 *   owner_id: <id>
 *
 * Written to a temporary file, fsynced and renamed (then the folder fsynced), so a crash leaves
 * the old content or the new. Synchronous, event loop only; called at open and create, never
 * per record.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { TEMP_SUFFIX } from './file-names.js';
import { syncDir, syncFile } from './fsync-path.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';

/** The owner id recorded in `dir`, or undefined when the folder has none (or it is unreadable). */
export function readOwnerId(dir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, PARTITION_METADATA_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const match = /^owner_id:\s*(\S+)\s*$/m.exec(text);
  return match?.[1];
}

/** Records `ownerId` in `dir` durably. */
export function writeOwnerId(dir: string, ownerId: string): void {
  const path = join(dir, PARTITION_METADATA_FILE);
  const temp = path + TEMP_SUFFIX;
  try {
    writeFileSync(temp, `version: 0\nowner_id: ${ownerId}\n`);
    syncFile(temp);
    renameSync(temp, path);
    syncDir(dir);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot write ${path}`, { path });
  }
}
