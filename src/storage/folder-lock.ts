/**
 * The lock that gives one open log (or one LogManager) a folder to itself. Logs opened through
 * a LogManager take none of their own: the data folder's lock covers them.
 *
 * An OS lock, as Kafka's FileLock: `.lock` in the folder is opened and flock'ed
 * (LOCK_EX | LOCK_NB) through the addon, and the fd is held open for the life of the owner.
 * close() releases it; so does the kernel when the process dies, however it dies, so a killed
 * broker never leaves a stale lock behind and there is nothing to take over.
 *
 * Why not a pid file (as before): checking the pid and then writing ours is a race (two
 * processes both took it in 9 of 1,000 simultaneous tries), and two containers sharing a
 * volume both run as pid 1, so each took the other's lock for its own. flock is held by an
 * open file description, so a second open of the same folder in the same process is refused
 * too, with no bookkeeping of our own. The file is never deleted: unlinking it while another
 * process waits to open it would let two holders lock two different inodes.
 *
 * The pid written into the file is for humans only (who holds it?) and is best effort: on a
 * full disk the lock still holds, only the note is missing.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../native/binding.js';
import { SkeinError, fromSystemError } from '../errors.js';
import { LOCK_FILE } from './file-names.js';

export class FolderLock {
  readonly dir: string;
  private fd: number;

  private constructor(dir: string, fd: number) {
    this.dir = dir;
    this.fd = fd;
  }

  /** Takes the lock of `dir`, or throws SKEIN_LOG_LOCKED naming the folder when it is held. */
  static acquire(dir: string): FolderLock {
    const path = join(dir, LOCK_FILE);
    let fd: number;
    try {
      // libuv opens with O_CLOEXEC: a child process never inherits the lock.
      fd = openSync(path, 'a+', 0o644);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot open the lock file of ${dir}`, { path: dir });
    }
    let locked: boolean;
    try {
      locked = native.tryLockFile(fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (!locked) {
      closeSync(fd);
      const holder = readHolder(path);
      throw new SkeinError(
        'SKEIN_LOG_LOCKED',
        `log folder ${dir} is locked: another open log or log manager holds it${holder ? ` (process ${holder})` : ''}; one folder, one owner`,
        { path: dir, pid: holder },
      );
    }
    try {
      ftruncateSync(fd, 0);
      writeSync(fd, `${process.pid}\n`);
    } catch {
      // A full disk: the lock holds without its note.
    }
    return new FolderLock(dir, fd);
  }

  get held(): boolean {
    return this.fd >= 0;
  }

  /** Releases the lock. Idempotent. */
  release(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
  }
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
