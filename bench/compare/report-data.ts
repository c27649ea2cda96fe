/**
 * The shape of one run's results: what run.ts fills, what markdown.ts prints, what the JSON
 * file holds and what the HTML report draws.
 */
import type { Machine } from './machine.js';
import type { Physical } from './physical.js';
import type { ScaleResults } from './scale.js';
import type { LatencyResult, SystemInfo, ThroughputResult } from './types.js';

export interface RunOptions {
  quick: boolean;
  systems: string[];
  sizes: number[];
  partitions: number[];
  /** Records per workload, by value size. */
  counts: Record<number, number>;
  latencySamples: number;
  latencyWarmup: number;
  latencyValueBytes: number;
  physical: boolean;
  scale: boolean;
}

export interface Report {
  machine: Machine;
  options: RunOptions;
  systems: SystemInfo[];
  physical: Physical[];
  throughput: ThroughputResult[];
  latency: LatencyResult[];
  scale?: ScaleResults;
  /** Workloads that failed, with the reason (the run goes on without them). */
  errors: string[];
  durationSec: number;
}
