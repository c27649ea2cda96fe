/**
 * Who leads a partition after its leader is gone (Kafka's PartitionLeaderElectionAlgorithms):
 * the first replica, in assignment order, that is alive and in the ISR (a clean election).
 * With no such replica the partition goes offline, unless unclean election is allowed, in which
 * case the first live replica leads and whatever it lacks of the acknowledged log is lost.
 *
 * Pure function: the controller supplies the state and the live brokers and writes the result.
 */
import { NO_LEADER, type PartitionState } from './partition-state.js';

export interface Election {
  state: PartitionState;
  /** True when the new leader was outside the ISR (acknowledged records may be lost). */
  unclean: boolean;
  /** True when the state changed and must be written. */
  changed: boolean;
}

export function electLeader(current: PartitionState, live: ReadonlySet<number>, allowUnclean: boolean): Election {
  const liveIsr = current.isr.filter((id) => live.has(id));
  if (current.leader !== NO_LEADER && live.has(current.leader)) {
    // The leader lives: only drop dead brokers from the ISR (never below the leader itself).
    const changed = liveIsr.length !== current.isr.length;
    return { state: changed ? { ...current, isr: liveIsr } : current, unclean: false, changed };
  }
  const clean = current.replicas.find((id) => liveIsr.includes(id));
  if (clean !== undefined) {
    return {
      state: { ...current, leader: clean, leaderEpoch: current.leaderEpoch + 1, isr: liveIsr },
      unclean: false,
      changed: true,
    };
  }
  const anyLive = current.replicas.find((id) => live.has(id));
  if (allowUnclean && anyLive !== undefined) {
    return { state: { ...current, leader: anyLive, leaderEpoch: current.leaderEpoch + 1, isr: [anyLive] }, unclean: true, changed: true };
  }
  // Offline. The ISR keeps its last member so that a clean election can happen when it returns
  // (Kafka keeps the last ISR for the same reason, KIP-966's "last known elr").
  if (current.leader === NO_LEADER) return { state: current, unclean: false, changed: false };
  return {
    state: { ...current, leader: NO_LEADER, leaderEpoch: current.leaderEpoch + 1, isr: current.isr.length > 0 ? current.isr : [current.leader] },
    unclean: false,
    changed: true,
  };
}
