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
 * If a worker dies (a native crash, process.exit in a task) the tasks it was handed reject
 * (at most tasksInFlight) and piscina starts a fresh thread for the lane; later tasks of the
 * key run there, still in order.
 *
 * Lifecycle: made by the broker (one per process by default), closed with it. Runs on the
 * event loop; the tasks (tasks/*.ts) run on the workers. Knows nothing of partitions beyond
 * their key.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { SkeinError } from '../errors.js';
import type { DispatchedTask } from './dispatch.js';

export interface WorkerPoolOptions {
  /** Worker threads (lanes). Default: the cores less one for the event loop, at least 1. */
  size?: number;
  /** The module the workers load (its named exports are the tasks). Default: ./worker-entry.js. */
  filename?: string | URL;
  /**
   * Tasks handed to a lane's thread before it finishes the first of them (it still runs them
   * one at a time, in order). Default 32: see DEFAULT_TASKS_IN_FLIGHT.
   */
  tasksInFlight?: number;
  /**
   * The nice value of the lanes' threads (Linux only; elsewhere a thread cannot be given one of
   * its own): 0 to 19, default DEFAULT_LANE_NICENESS. 0 leaves them at the process's.
   */
  niceness?: number;
}

/**
 * Lanes run at a lower priority than the event loop. The loop serves every partition's
 * requests and timers; a lane's work (decompression, validation, scans) is throughput work
 * with a queue. When the cores are all busy (the lane, the loop, V8's GC threads, the libuv
 * threads faulting pages in), the scheduler then gives the loop the core first. The
 * 8-partition pool bench, two runs each, pooled event-loop delay p99 at 0 -> 10: lz4 consume
 * 7.9 / 8.0 -> 5.9 / 7.1 ms, gzip consume 6.2 / 8.7 -> 6.1 / 7.4 ms, produce 2.5-3.3 ->
 * 2.2-2.5 ms; records/s within the runs' noise (lz4 consume 1.50x / 1.44x -> 1.42x / 1.38x of
 * inline, gzip 1.25x / 1.21x -> 1.31x / 1.20x). On Linux a thread's nice value is its own
 * (setpriority on the calling thread), so the event loop keeps the process's.
 */
export const DEFAULT_LANE_NICENESS = 10;

/**
 * Tasks handed to a lane's thread ahead. With one, the thread sat idle between tasks until
 * the event loop got round to the finished task's message and posted the next one; under
 * compressed load (the event loop appending, other threads on the same cores) that gap was
 * as long as the task itself, and pooled produce fell below inline (snappy 0.83x). With 4 or
 * 8 the thread still ran dry whenever the event loop held on for a delivery slice (2 ms, ~14
 * gzip batches of the lane's work), and the loop then decompressed the batches the lane had
 * not begun itself. The 8-partition pool bench (144 batches a partition, 5 rounds), pool /
 * inline records/s and the pooled consume delay p99, two runs each: 8 in flight, gzip
 * 0.98x / 0.92x, lz4 1.23x / 1.32x, 5.6-7.5 ms; 32: gzip 1.21x / 1.08x, lz4 1.42x / 1.44x,
 * 6.2-8.8 ms. (Before results came back in shared blocks, workers/shared-blocks.ts, deeper
 * queues cost delay: 32 measured 11-15 ms, as each moved result added to the mark-compacts.)
 * They still run one at a time in submission order (the worker takes its messages in order,
 * and our tasks are synchronous). The price: a thread that dies fails the tasks it was
 * handed, not only the one it died in.
 */
export const DEFAULT_TASKS_IN_FLIGHT = 32;

/** Default lanes: the cores the machine offers, one left to the event loop. */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class WorkerPool {
  readonly size: number;
  private readonly filename: string;
  private readonly tasksInFlight: number;
  private readonly niceness: number;
  private readonly lanes: Array<Piscina | undefined>;
  /** Per lane, until its thread has loaded the worker module: later runs wait on it (see lane()). */
  private readonly gates: Array<Promise<void> | undefined>;
  private closed = false;
  /** Tasks submitted and not yet settled (queued or running), for the running count. */
  private outstanding = 0;

  constructor(options: WorkerPoolOptions = {}) {
    const size = options.size ?? defaultPoolSize();
    if (!Number.isInteger(size) || size < 1 || size > 256) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a worker pool needs 1 to 256 threads, got ${String(size)}`, { option: 'size' });
    }
    const tasksInFlight = options.tasksInFlight ?? DEFAULT_TASKS_IN_FLIGHT;
    if (!Number.isInteger(tasksInFlight) || tasksInFlight < 1 || tasksInFlight > 1024) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `tasksInFlight must be 1 to 1024, got ${String(tasksInFlight)}`, { option: 'tasksInFlight' });
    }
    this.tasksInFlight = tasksInFlight;
    const niceness = options.niceness ?? DEFAULT_LANE_NICENESS;
    if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `niceness must be 0 to 19, got ${String(niceness)}`, { option: 'niceness' });
    }
    this.niceness = niceness;
    this.size = size;
    this.filename = String(options.filename ?? new URL('./worker-entry.js', import.meta.url));
    this.lanes = new Array<Piscina | undefined>(size).fill(undefined);
    this.gates = new Array<Promise<void> | undefined>(size).fill(undefined);
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
    const index = this.laneOf(key);
    const lane = this.lane(index);
    const submit = () => lane.run({ task, input } satisfies DispatchedTask, { name: 'dispatch', transferList: transfer }) as Promise<T>;
    const gate = this.gates[index];
    const running = gate ? gate.then(submit) : submit();
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
    this.lanes.forEach((_, i) => this.lane(i));
    await Promise.all(this.gates);
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

  /** Tasks handed to the lanes' threads over all lanes (one running per lane, the rest next in line there). */
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
        concurrentTasksPerWorker: this.tasksInFlight,
        // Read by worker-entry.ts when the thread starts (lane-priority.ts).
        workerData: { niceness: this.niceness },
        // Without it piscina 5 hands queued tasks out of order (measured: 0,2,4,6,8,1,5,...),
        // which would reorder a partition's work.
        stricterFIFO: true,
        idleTimeout: 30_000,
        // A produce waits on its lane's queue; no cap here, the broker's request limits bound it.
        maxQueue: Infinity,
      });
      this.lanes[index] = lane;
      // Every task goes through one exported function, `dispatch` (dispatch.ts): piscina loads
      // a handler per name on its first use, asynchronously, so with tasks handed ahead a
      // first-used name ran after later tasks of a name already loaded (measured: a task
      // submitted after `die` ran before it). Until the thread has loaded `dispatch`, runs on
      // the lane wait here, in submission order.
      const ready = lane.run({ task: 'ready', input: null } satisfies DispatchedTask, { name: 'dispatch' }) as Promise<unknown>;
      this.gates[index] = ready.then(
        () => void (this.gates[index] = undefined),
        () => void (this.gates[index] = undefined),
      );
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
