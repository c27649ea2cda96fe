/**
 * Small files a log keeps beside its segments: the recovery point (one decimal offset and a
 * newline), and the clean-shutdown marker (the folder lock is folder-lock.ts). Each is replaced by write-to-temp
 * then rename, so a crash leaves the old content or the new, never half of it.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { CLEANER_CHECKPOINT_FILE, CLEAN_SHUTDOWN_FILE, LOG_START_OFFSET_FILE, RECOVERY_POINT_FILE, TEMP_SUFFIX } from './file-names.js';

function replaceFile(path: string, content: string, durable: boolean): void {
  try {
    const temp = path + TEMP_SUFFIX;
    writeFileSync(temp, content);
    if (durable) {
      const fd = openSync(temp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(temp, path);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot write ${path}`);
  }
}

/** The recovery point, or 0 when the file is missing or unreadable (then everything is rescanned). */
export function readRecoveryPoint(dir: string): number {
  try {
    const value = Number(readFileSync(join(dir, RECOVERY_POINT_FILE), 'utf8').trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}

export function writeRecoveryPoint(dir: string, offset: number): void {
  replaceFile(join(dir, RECOVERY_POINT_FILE), `${offset}\n`, true);
}

/** The first offset the cleaner has not cleaned, or 0 (everything dirty) when missing. */
export function readCleanerCheckpoint(dir: string): number {
  try {
    const value = Number(readFileSync(join(dir, CLEANER_CHECKPOINT_FILE), 'utf8').trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}

/** The log start offset a DeleteRecords left, or 0 when none was written (the first segment's base then rules). */
export function readLogStartOffset(dir: string): number {
  try {
    const value = Number(readFileSync(join(dir, LOG_START_OFFSET_FILE), 'utf8').trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}

export function writeCleanerCheckpoint(dir: string, offset: number): void {
  replaceFile(join(dir, CLEANER_CHECKPOINT_FILE), `${offset}\n`, true);
}

/** Written durably before the start offset moves: after a crash the deleted records stay deleted. */
export function writeLogStartOffset(dir: string, offset: number): void {
  replaceFile(join(dir, LOG_START_OFFSET_FILE), `${offset}\n`, true);
}

/** True if the last close was clean; removes the marker so that a crash from now on is detected. */
export function takeCleanShutdownMarker(dir: string): boolean {
  const path = join(dir, CLEAN_SHUTDOWN_FILE);
  if (!existsSync(path)) return false;
  try {
    unlinkSync(path);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot remove ${path}`);
  }
  return true;
}

export function writeCleanShutdownMarker(dir: string): void {
  replaceFile(join(dir, CLEAN_SHUTDOWN_FILE), `${new Date().toISOString()}\n`, true);
}
