/**
 * The one interface every compared system implements, and the shapes of what a run records.
 * Adapters stay small: the driver (run.ts) owns timing, CPU accounting and progress, so every
 * system is measured by the same code and only the client calls differ.
 */

/** What a figure means for durability; printed next to every figure of the system. */
export interface Durability {
  /** When the bytes reach the disk (e.g. "page cache; OS writes back", "fsync per commit"). */
  policy: string;
  /** What the producer's acknowledgement promises. */
  ack: string;
}

/** One workload's input: `count` records of `value`, record i to partition i % partitions. */
export interface Workload {
  /** A fresh name per workload (topic, stream, table prefix), so runs never share a log. */
  log: string;
  partitions: number;
  count: number;
  value: Buffer;
  /** Reports progress in records; the driver turns it into a progress bar. */
  tick: (records: number) => void;
}

export interface Consumed {
  records: number;
  bytes: number;
}

export interface System {
  /** Short id used by --only (skein, redis, nats, sqlite, lmdb, array). */
  readonly id: string;
  /** Human name with the variant, e.g. "Skein embedded (flush never)". */
  readonly label: string;
  /** True for the system under test (ratios are Skein / peer). */
  readonly isSkein: boolean;
  /** Largest partition (stream, table) count this system models; 1 where it has none. */
  readonly maxPartitions: number;
  /** Starts the server or opens the store under `dir`; throws SkipError when it cannot. */
  start(dir: string): Promise<void>;
  /** Pid of a server process whose CPU is charged to the server side, if any. */
  serverPid(): number | undefined;
  version(): string;
  /** Every setting that shapes the figures, printed in the report. */
  settings(): Record<string, string>;
  durability(): Durability;
  /** The batching used for produce, in words. */
  batching(): string;
  /** Untimed setup of a workload's log (create topic, streams, tables). */
  prepare(w: Workload): Promise<void>;
  produce(w: Workload): Promise<void>;
  /** Reads every record of the workload back, checking per-partition order; throws on a gap. */
  consume(w: Workload): Promise<Consumed>;
  /**
   * Single-record end-to-end latency with a consumer already waiting: calls `sample(us)` once
   * per record (warm-up included; the driver drops the first ones).
   */
  latency(samples: number, value: Buffer, sample: (micros: number) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Thrown by start() when a system cannot run here; the driver prints the reason and moves on. */
export class SkipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkipError';
  }
}

/** CPU seconds spent on each side during one timed section, and the wall time. */
export interface CpuSplit {
  wallSec: number;
  clientCpuSec: number;
  /** The part of clientCpuSec spent in the kernel (page faults, syscalls, fsync). */
  clientSysSec: number;
  /** NaN when the system has no server process. */
  serverCpuSec: number;
}

export interface ThroughputResult {
  system: string;
  label: string;
  phase: 'produce' | 'consume';
  valueBytes: number;
  partitions: number;
  records: number;
  recordsPerSec: number;
  bytesPerSec: number;
  cpu: CpuSplit;
  bottleneck: string;
}

export interface LatencyResult {
  system: string;
  label: string;
  valueBytes: number;
  samples: number;
  /** Microseconds. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** [percentile, micros] points for the percentile curve. */
  curve: Array<[number, number]>;
  cpu: CpuSplit;
  bottleneck: string;
}

export interface SystemInfo {
  id: string;
  label: string;
  version: string;
  durability: Durability;
  batching: string;
  settings: Record<string, string>;
  skipped?: string;
}
