/**
 * Automatic preferred-leader rebalance (Kafka's auto.leader.rebalance.enable and
 * checkAndTriggerAutoLeaderRebalance), as one pure function over the partition states and the
 * controller's view of the brokers.
 *
 * After a broker fails and returns, the partitions it led stay with the followers that took
 * over, so leadership piles up on the survivors. Every
 * leader.imbalance.check.interval.seconds the controller counts, for each broker, the
 * partitions whose preferred leader (first replica) it is and how many of those another
 * broker leads; when that share exceeds leader.imbalance.per.broker.percentage, each such
 * partition whose preferred leader can lead cleanly (registered, accepted by the controller
 * since its last restart, not shutting down, in the ISR) moves back to it, leader epoch + 1.
 * Partitions under reassignment are left to the reassignment.
 *
 * Pure: the controller writes each move with a compare-and-set on the partition's version.
 */
import type { PartitionState } from './partition-state.js';

export interface RebalanceView {
  /** Registered brokers. */
  live: ReadonlySet<number>;
  /** Live brokers that asked for a controlled shutdown. */
  shuttingDown: ReadonlySet<number>;
  /** Live brokers registered again since the controller last accepted them (not yet re-decided). */
  restarted: ReadonlySet<number>;
  /** leader.imbalance.per.broker.percentage: 0-100. */
  imbalancePercentage: number;
}

export interface RebalancePartition extends PartitionState {
  topic: string;
  partition: number;
  /** A reassignment of this partition is in progress. */
  reassigning: boolean;
}

export interface RebalanceMove<P extends RebalancePartition> {
  /** The partition as read (its version is what the compare-and-set expects). */
  from: P;
  state: PartitionState;
}

/** Per broker: partitions it prefers to lead, and how many of them another broker leads. */
export function leaderImbalance(partitions: Iterable<RebalancePartition>): Map<number, { preferred: number; notLed: number }> {
  const out = new Map<number, { preferred: number; notLed: number }>();
  for (const p of partitions) {
    if (p.reassigning || p.replicas.length === 0) continue;
    const preferred = p.replicas[0]!;
    const entry = out.get(preferred) ?? { preferred: 0, notLed: 0 };
    entry.preferred += 1;
    if (p.leader !== preferred) entry.notLed += 1;
    out.set(preferred, entry);
  }
  return out;
}

/** The leadership moves one rebalance check makes. */
export function preferredLeaderMoves<P extends RebalancePartition>(partitions: readonly P[], view: RebalanceView): Array<RebalanceMove<P>> {
  const imbalance = leaderImbalance(partitions);
  const moves: Array<RebalanceMove<P>> = [];
  for (const p of partitions) {
    if (p.reassigning || p.replicas.length === 0) continue;
    const preferred = p.replicas[0]!;
    if (p.leader === preferred) continue;
    const counts = imbalance.get(preferred)!;
    if ((counts.notLed / counts.preferred) * 100 <= view.imbalancePercentage) continue;
    const canLead = view.live.has(preferred) && !view.shuttingDown.has(preferred) && !view.restarted.has(preferred) && p.isr.includes(preferred);
    if (!canLead) continue;
    moves.push({ from: p, state: { leader: preferred, leaderEpoch: p.leaderEpoch + 1, isr: p.isr, replicas: p.replicas } });
  }
  return moves;
}
