/**
 * Worker-thread pool with partition affinity (piscina underneath): every task submitted under
 * one key (a topic-partition) goes to the same worker thread, and a worker runs its tasks one
 * at a time in submission order. So a partition's CPU work (decompression, compression,
 * validation of large compressed batches, scans) leaves the event loop while staying ordered,
 * and a long burst on one partition occupies one lane, never all of them.
 *
 * Shape: `size` lanes, each a one-thread Piscina (piscina's own load balancer would spread a
 * key's tasks over threads and lose the order). A key maps to a lane by a hash of the key, so
 * two partitions may share a lane; with a pool as large as the cores, a burst delays at most
 * the partitions hashed to its lane, and the event loop not at all. Lanes start on first use.
 *
 * If a worker dies (a native crash, process.exit in a task) its task rejects and piscina
 * starts a fresh thread for the lane; later tasks of the key run there, still in order.
 *
 * Lifecycle: made by the broker (one per process by default), closed with it. Runs on the
 * event loop; the tasks (tasks/*.ts) run on the workers. Knows nothing of partitions beyond
 * their key.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { SkeinError } from '../errors.js';

export interface WorkerPoolOptions {
  /** Worker threads (lanes). Default: the cores less one for the event loop, at least 1. */
  size?: number;
  /** The module the workers load (its named exports are the tasks). Default: ./worker-entry.js. */
  filename?: string | URL;
}

/** Default lanes: the cores the machine offers, one left to the event loop. */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class WorkerPool {
  readonly size: number;
  private readonly filename: string;
  private readonly lanes: Array<Piscina | undefined>;
  private closed = false;
  /** Tasks submitted and not yet settled (queued or running), for the running count. */
  private outstanding = 0;

  constructor(options: WorkerPoolOptions = {}) {
    const size = options.size ?? defaultPoolSize();
    if (!Number.isInteger(size) || size < 1 || size > 256) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a worker pool needs 1 to 256 threads, got ${String(size)}`, { option: 'size' });
    }
    this.size = size;
    this.filename = String(options.filename ?? new URL('./worker-entry.js', import.meta.url));
    this.lanes = new Array<Piscina | undefined>(size).fill(undefined);
  }

  /** The lane (0..size-1) that runs every task of `key`. */
  laneOf(key: string): number {
    // FNV-1a: cheap, stable across runs, spreads short keys well.
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
      hash ^= key.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return (hash >>> 0) % this.size;
  }

  /**
   * Runs the task exported as `task` by the worker module with `input` on `key`'s lane, after
   * the key's earlier tasks. `transfer` hands ArrayBuffers over instead of copying them (the
   * caller must not touch them afterwards).
   */
  run<T>(key: string, task: string, input: unknown, transfer?: ArrayBuffer[]): Promise<T> {
    if (this.closed) return Promise.reject(new SkeinError('SKEIN_CLOSED', 'the worker pool is closed'));
    const running = this.lane(this.laneOf(key)).run(input, { name: task, transferList: transfer }) as Promise<T>;
    this.outstanding++;
    const settled = () => void this.outstanding--;
    running.then(settled, settled);
    return running;
  }

  /**
   * Starts every lane's thread and waits until each has loaded the worker module (a thread
   * start costs tens to hundreds of ms: a server may pay it at start, not on its first large
   * batch). Idempotent.
   */
  async warmUp(): Promise<void> {
    await Promise.all(this.lanes.map((_, i) => this.lane(i).run(null, { name: 'ready' })));
  }

  /** Tasks finished over all lanes (for tests and metrics). */
  get completed(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane?.completed ?? 0;
    return n;
  }

  /** Tasks waiting (not running) over all lanes. */
  get queued(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane?.queueSize ?? 0;
    return n;
  }

  /** Tasks running now over all lanes (at most one per lane). */
  get running(): number {
    return Math.max(0, this.outstanding - this.queued);
  }

  private lane(index: number): Piscina {
    let lane = this.lanes[index];
    if (!lane) {
      lane = new Piscina({
        filename: this.filename,
        minThreads: 1,
        maxThreads: 1,
        concurrentTasksPerWorker: 1,
        // Without it piscina 5 hands queued tasks out of order (measured: 0,2,4,6,8,1,5,...),
        // which would reorder a partition's work.
        stricterFIFO: true,
        idleTimeout: 30_000,
        // A produce waits on its lane's queue; no cap here, the broker's request limits bound it.
        maxQueue: Infinity,
      });
      this.lanes[index] = lane;
    }
    return lane;
  }

  /** Waits for running tasks, then stops every thread. Later runs reject with SKEIN_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.lanes.map((lane) => lane?.close()));
  }
}
