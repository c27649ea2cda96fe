/**
 * A partition reassignment (KIP-455, AlterPartitionReassignments): the replicas a partition had
 * when it started (`original`) and the replicas it must end with (`target`). Kept in etcd under
 * `reassignments/<topic>/<p>` until the controller completed it, so a controller that fails
 * over resumes it. `cancelling` marks the revert Kafka does when a reassignment is cancelled.
 *
 * The controller moves a partition through it in steps (`reassignmentStep`):
 *   1. replicas := target ∪ original (the adding replicas open a local log and start fetching);
 *   2. wait until every target replica is in the ISR (the leader adds a follower once caught up);
 *   3. replicas := target, ISR := ISR ∩ target, a new leader (epoch + 1) if the old one is not a
 *      target replica; the removing replicas delete their local log.
 * A cancelled reassignment skips step 2: it goes back to `original` at once (its replicas held
 * the partition all along).
 *
 * Pure data and functions; the controller reads and writes etcd.
 */
import { SkeinError } from '../errors.js';
import { NO_LEADER, type PartitionState } from './partition-state.js';

export interface Reassignment {
  target: number[];
  original: number[];
  cancelling?: boolean;
}

export function parseReassignment(text: string, where: string): Reassignment {
  let value: Partial<Reassignment>;
  try {
    value = JSON.parse(text) as Partial<Reassignment>;
  } catch (cause) {
    throw new SkeinError('SKEIN_CORRUPT_CLUSTER_STATE', `reassignment at ${where} is not JSON`, { cause, key: where });
  }
  const ints = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x));
  if (!value || !ints(value.target) || !ints(value.original)) {
    throw new SkeinError('SKEIN_CORRUPT_CLUSTER_STATE', `reassignment at ${where} lacks target or original replicas`, { key: where });
  }
  return { target: value.target, original: value.original, ...(value.cancelling ? { cancelling: true } : {}) };
}

export function encodeReassignment(r: Reassignment): string {
  return JSON.stringify(r);
}

/** Replicas being added: in the target, not in the original (ListPartitionReassignments' addingReplicas). */
export function addingReplicas(r: Reassignment): number[] {
  return r.target.filter((id) => !r.original.includes(id));
}

/** Replicas being removed: in the original, not in the target (removingReplicas). */
export function removingReplicas(r: Reassignment): number[] {
  return r.original.filter((id) => !r.target.includes(id));
}

/** The replica set while a reassignment runs: the target first (its first replica is the preferred leader), then the replicas leaving. */
export function fullReplicas(r: Reassignment): number[] {
  return [...new Set([...r.target, ...r.original])];
}

export interface ReassignmentStep {
  state: PartitionState;
  /** True when `state` is the final one: record the target as the topic's assignment and forget the reassignment. */
  done: boolean;
}

const sameSet = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/** The next state of a partition under reassignment; `eligible` are the live brokers that may lead (not shutting down). */
export function reassignmentStep(state: PartitionState, r: Reassignment, eligible: ReadonlySet<number>): ReassignmentStep {
  if (!r.cancelling) {
    const full = fullReplicas(r);
    if (!sameSet(state.replicas, full)) return { state: { ...state, replicas: full }, done: false };
    // Step 2: every target replica must hold the log before the leaving ones go.
    if (!r.target.every((id) => state.isr.includes(id))) return { state, done: false };
  }
  const isr = state.isr.filter((id) => r.target.includes(id));
  if (state.leader !== NO_LEADER && r.target.includes(state.leader) && isr.includes(state.leader)) {
    return { state: { ...state, replicas: [...r.target], isr }, done: true };
  }
  const leader = r.target.find((id) => isr.includes(id) && eligible.has(id));
  if (leader === undefined) {
    // A cancel whose original replicas lost sync (or all are down): keep the current state and retry on the next change.
    return { state, done: false };
  }
  return { state: { replicas: [...r.target], leader, leaderEpoch: state.leaderEpoch + 1, isr }, done: true };
}

/** Checks a requested target against the live brokers (INVALID_REPLICA_ASSIGNMENT otherwise). */
export function checkTarget(target: number[], live: ReadonlySet<number>, where: string): void {
  if (target.length === 0) throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `${where}: a reassignment needs at least one replica`);
  if (new Set(target).size !== target.length) throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `${where}: replicas ${target.join(',')} name a broker twice`);
  for (const id of target) {
    if (!Number.isInteger(id) || !live.has(id)) throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `${where}: broker ${id} is not alive`, { broker: id });
  }
}
