/**
 * The files of one segment besides reading and writing its batches: the `.gaps` marker, the
 * atomic write of an index file, and the removal of all of a segment's files.
 *
 * Stateless functions over paths (file-names.ts names them); synchronous, on the event loop.
 * Every one of them leaves a folder that a crash at any point turns into something the next
 * open understands: the old file or the new one, or a `.deleted` / `.tmp` leftover it removes.
 * Knows nothing of offsets beyond the base offset in a file's name.
 */
import { existsSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { fromSystemError } from '../errors.js';
import { DELETED_SUFFIX, TEMP_SUFFIX, gapsFile, indexFile, logFile, timeIndexFile } from './file-names.js';
import { syncDir } from './fsync-path.js';

/**
 * Writes the segment's empty `.gaps` marker and syncs the folder, so the marker is durable
 * before the first batch that skips offsets is written (see Segment.allowGaps).
 */
export function writeGapsMarker(dir: string, baseOffset: number): void {
  const path = gapsFile(dir, baseOffset);
  try {
    writeFileSync(path, '');
    syncDir(dir);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot write ${path}`);
  }
}

/** Writes `bytes` to a temp file and renames it over `path`: a crash leaves the old file or the new one. */
export function writeAtomically(path: string, bytes: Buffer): void {
  try {
    writeFileSync(path + TEMP_SUFFIX, bytes);
    renameSync(path + TEMP_SUFFIX, path);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot write ${path}`);
  }
}

/**
 * Removes a segment's files: each renamed to `.deleted` first and then unlinked, so a crash in
 * between leaves a file the loader deletes.
 */
export function deleteSegmentFiles(dir: string, baseOffset: number): void {
  // The indexes go first and the .log last: a crash in between then leaves a segment whose
  // indexes the next open rebuilds. The other way round (as before) it left .index and
  // .timeindex files of a segment that no longer exists, which no open ever removed.
  for (const path of [gapsFile(dir, baseOffset), indexFile(dir, baseOffset), timeIndexFile(dir, baseOffset), logFile(dir, baseOffset)]) {
    if (!existsSync(path)) continue;
    try {
      renameSync(path, path + DELETED_SUFFIX);
      unlinkSync(path + DELETED_SUFFIX);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot delete ${path}`);
    }
  }
}

/** Unlinks `path` if it exists; a failure leaves it for the next open (a `.cleaned` file is a leftover it removes). */
export function removeQuietly(path: string): void {
  try {
    if (existsSync(path)) unlinkSync(path);
  } catch {
    // Left for the next open.
  }
}
