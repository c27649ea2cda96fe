/**
 * Every partition log of one data folder, by name.
 *
 * A log's name is an opaque folder name chosen by the layer above (the broker uses Kafka's
 * `<topic>-<partition>`); this layer only opens, lists and deletes those folders. All logs
 * share one MappingLru, so the mapping budget holds across the whole data folder.
 * Lifecycle: open() once, then open/create/delete logs, then close() closes them all.
 * The data folder is locked (folder-lock.ts) from open() to close(): a second LogManager on
 * it, in this process or another, is refused with SKEIN_LOG_LOCKED before it reads anything.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, accessSync, constants } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SkeinError, fromSystemError } from '../errors.js';
import { PartitionLog, type PartitionLogOptions } from './partition-log.js';
import { MappingLru, sharedMappingLru } from './mapping-lru.js';
import { DELETED_SUFFIX } from './file-names.js';
import { FolderLock } from './folder-lock.js';
import { readOwnerId, writeOwnerId } from './partition-metadata-file.js';

/** Suffix of folders set aside (not served, not deleted). */
export const STRAY_SUFFIX = '.stray';
import type { LogConfig } from './log-config.js';
import type { SegmentScanner } from './segment-recovery.js';

export interface LogManagerOptions {
  /** The folder holding one sub-folder per log. Created if missing (its parent must exist). */
  dir: string;
  mappingLru?: MappingLru;
  onWarning?: (message: string) => void;
}

export class LogManager {
  readonly dir: string;
  private readonly lru: MappingLru;
  private readonly onWarning: (message: string) => void;
  private readonly logs = new Map<string, PartitionLog>();
  /** Opens in flight, by name. */
  private readonly opening = new Map<string, Promise<PartitionLog>>();
  private readonly lock: FolderLock;
  /** Folders renamed out of the way and being removed in the background (close() waits for them). */
  private readonly removals = new Set<Promise<void>>();
  private closed = false;

  private constructor(dir: string, lru: MappingLru, onWarning: (message: string) => void, lock: FolderLock) {
    this.dir = dir;
    this.lock = lock;
    this.lru = lru;
    this.onWarning = onWarning;
  }

  static open(options: LogManagerOptions): LogManager {
    const { dir } = options;
    if (typeof dir !== 'string' || dir.length === 0) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'dir must be a non-empty string');
    }
    try {
      mkdirSync(dir, { recursive: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw fromSystemError(err as NodeJS.ErrnoException, `cannot create data folder ${dir}`, { path: dir });
      }
    }
    try {
      if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (err) {
      const error = fromSystemError(err as NodeJS.ErrnoException, `data folder ${dir} is not a writable folder`, { path: dir });
      throw error.code === 'SKEIN_IO_ERROR' ? new SkeinError('SKEIN_LOG_DIR_UNAVAILABLE', error.message, { path: dir, cause: err }) : error;
    }
    const lock = FolderLock.acquire(dir);
    const manager = new LogManager(dir, options.mappingLru ?? sharedMappingLru, options.onWarning ?? (() => {}), lock);
    try {
      manager.removeLeftovers();
    } catch (err) {
      lock.release();
      throw err;
    }
    return manager;
  }

  /** Names of the log folders present on disk. */
  listNames(): string[] {
    this.ensureOpen();
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.endsWith(DELETED_SUFFIX) && !e.name.endsWith(STRAY_SUFFIX))
      .map((e) => e.name)
      .sort();
  }

  /**
   * Opens (creating if needed) the log named `name`; the same instance while it stays open.
   * With `owner`, the folder belongs to that owner id (partition.metadata): a new folder is
   * stamped with it before any data goes in, a folder without one is adopted, and a folder
   * stamped with another id is stale (a deleted incarnation) and is removed first, so its
   * records are never served. With `scanner`, the scans of its segments run there (the
   * partition's worker lane; PartitionLogOptions.scanner).
   */
  async open(name: string, config: Partial<LogConfig> = {}, owner?: string, scanner?: SegmentScanner): Promise<PartitionLog> {
    this.ensureOpen();
    checkName(name);
    const existing = this.logs.get(name);
    if (existing) return existing;
    // The data folder's lock covers every log in it (the logs take no lock of their own), so
    // this manager must open each name once: concurrent opens of one name share one.
    const pending = this.opening.get(name);
    if (pending) return pending;
    const opening = this.openLog(name, config, owner, scanner).finally(() => this.opening.delete(name));
    this.opening.set(name, opening);
    return opening;
  }

  private async openLog(name: string, config: Partial<LogConfig>, owner: string | undefined, scanner: SegmentScanner | undefined): Promise<PartitionLog> {
    if (owner !== undefined) this.claim(name, owner);
    const options: PartitionLogOptions = { config, mappingLru: this.lru, onWarning: this.onWarning, coveredByParentLock: true, scanner };
    const log = await PartitionLog.open(join(this.dir, name), options);
    if (this.closed) {
      await log.close();
      throw new SkeinError('SKEIN_CLOSED', `log manager of ${this.dir} is closed`);
    }
    this.logs.set(name, log);
    return log;
  }

  /** The owner id stamped in the folder `name` (partition.metadata), if any. */
  ownerOf(name: string): string | undefined {
    checkName(name);
    return readOwnerId(join(this.dir, name));
  }

  private claim(name: string, owner: string): void {
    const path = join(this.dir, name);
    if (existsSync(path)) {
      const found = readOwnerId(path);
      if (found === owner) return;
      if (found === undefined) {
        writeOwnerId(path, owner);
        return;
      }
      // Not ours: set it aside rather than delete what we cannot account for.
      this.setAside(name, `owner id ${found}, expected ${owner}`);
    }
    // Stamped before it takes its name: a crash cannot leave a folder without its owner. Until
    // the rename the staging folder ends in .deleted, so a crash leaves garbage open() removes.
    const staging = `${path}-${Date.now()}.creating${DELETED_SUFFIX}`;
    try {
      mkdirSync(staging);
      writeOwnerId(staging, owner);
      renameSync(staging, path);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      if (err instanceof SkeinError) throw err;
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot create log folder ${path}`, { path });
    }
  }

  /**
   * Renames the (closed) folder `name` to `<name>-<time>.stray`, out of every listing and never
   * served, but kept for an operator to inspect (Kafka's `-stray` logs). Returns the new path.
   */
  setAside(name: string, reason: string): string {
    this.ensureOpen();
    checkName(name);
    if (this.logs.has(name)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `log ${name} is open; close it before setting it aside`);
    const path = join(this.dir, name);
    const aside = `${path}-${Date.now()}${STRAY_SUFFIX}`;
    try {
      renameSync(path, aside);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot set log ${name} aside`, { path });
    }
    this.onWarning(`log folder ${path} set aside as ${aside}: ${reason}`);
    return aside;
  }

  /**
   * Closes the log `from` (if open) and renames its folder to `to`, in one atomic step (a crash
   * leaves either name, never both). Refused when `to` exists.
   */
  async rename(from: string, to: string): Promise<void> {
    this.ensureOpen();
    checkName(from);
    checkName(to);
    const target = join(this.dir, to);
    if (existsSync(target)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `cannot rename log ${from} to ${to}: ${to} exists`, { path: target });
    await this.opening.get(from)?.catch(() => undefined);
    const log = this.logs.get(from);
    this.logs.delete(from);
    if (log) await log.close();
    try {
      renameSync(join(this.dir, from), target);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot rename log ${from} to ${to}`, { path: target });
    }
  }

  get(name: string): PartitionLog | undefined {
    return this.logs.get(name);
  }

  /**
   * Closes and removes the log `name`: its folder is renamed to `<name>-<time>.deleted` first
   * (one atomic step that takes it out of every listing), then removed in the background (as
   * Kafka does). A crash in between leaves a `.deleted` folder that open() removes. Views of
   * its segments stay readable.
   */
  async delete(name: string): Promise<void> {
    this.ensureOpen();
    checkName(name);
    await this.opening.get(name)?.catch(() => undefined);
    const log = this.logs.get(name);
    this.logs.delete(name);
    // Views of the log may still be on their way to clients: keep them readable.
    if (log) await log.close({ keepViews: true });
    this.removeFolder(name, join(this.dir, name));
  }

  private removeFolder(name: string, path: string): void {
    const doomed = `${path}-${Date.now()}${DELETED_SUFFIX}`;
    try {
      renameSync(path, doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot delete log ${name}`, { path });
    }
    const removal = rm(doomed, { recursive: true, force: true }).catch((err: Error) => {
      this.onWarning(`cannot remove ${doomed} (removed at the next open): ${err.message}`);
    });
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // An open in flight closes its log itself when it finds the manager closed.
    await Promise.allSettled([...this.opening.values()]);
    const logs = [...this.logs.values()];
    this.logs.clear();
    const results = await Promise.allSettled([...logs.map((log) => log.close()), ...this.removals]);
    this.lock.release();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private removeLeftovers(): void {
    for (const entry of readdirSync(this.dir)) {
      if (entry.endsWith(DELETED_SUFFIX)) rmSync(join(this.dir, entry), { recursive: true, force: true });
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new SkeinError('SKEIN_CLOSED', `log manager of ${this.dir} is closed`);
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('/') || name === '.' || name === '..' || name.endsWith(DELETED_SUFFIX)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `invalid log name ${JSON.stringify(name)}`);
  }
}
