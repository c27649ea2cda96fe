/**
 * What the controller decides for one partition in a pass (Kafka's KafkaController
 * onBrokerFailure / onBrokerStartup for bounced brokers / doControlledShutdown / the
 * reassignment steps), as one pure function over the partition's state and the controller's
 * view of the brokers:
 *
 *  1. a broker that registered again since the controller last accepted it (a restart, or a
 *     re-join after a lost session) is first treated as failed (out of the ISR, leadership
 *     moved if another ISR member lives), then as alive again: it comes back as a follower
 *     outside the ISR, and the leader takes it back once it caught up. If it was the last ISR
 *     member it may lead again (nobody else has the records), unless its data folder is new
 *     (`lostData`): then it leaves the ISR for good and the partition stays offline (only an
 *     unclean election can bring it back, with what that loses).
 *  2. dead brokers leave the ISR and leadership moves to a live ISR member
 *     (src/cluster/leader-election.ts); brokers in controlled shutdown are not elected while
 *     another ISR member can be, lose the leadership of partitions another live ISR member can
 *     take, and leave the ISR of partitions they follow. A partition whose only live ISR member
 *     is shutting down stays with it until it exits.
 *  3. a reassignment in progress advances one step (src/cluster/reassignment.ts).
 *
 * Pure: the controller supplies the state and the view, and writes the result with a
 * compare-and-set on the partition's version.
 */
import { electLeader } from './leader-election.js';
import { NO_LEADER, type PartitionState } from './partition-state.js';
import { reassignmentStep, type Reassignment } from './reassignment.js';

export interface ControllerView {
  /** Registered brokers. */
  live: ReadonlySet<number>;
  /** Live brokers that asked for a controlled shutdown. */
  shuttingDown: ReadonlySet<number>;
  /** Live brokers registered again since the controller last accepted them. */
  restarted: ReadonlyMap<number, 'restarted' | 'lostData'>;
  allowUnclean: boolean;
}

export interface PartitionDecision {
  state: PartitionState;
  changed: boolean;
  /** The new leader was outside the ISR: acknowledged records may be lost. */
  unclean: boolean;
  /** The reassignment is complete with this state. */
  reassignmentDone: boolean;
}

const sameList = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, i) => b[i] === x);

export function sameState(a: PartitionState, b: PartitionState): boolean {
  return a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && sameList(a.replicas, b.replicas) && sameList(a.isr, b.isr);
}

function without(set: ReadonlySet<number>, ...ids: number[]): Set<number> {
  const out = new Set(set);
  for (const id of ids) out.delete(id);
  return out;
}

/** A restarted broker leaves the ISR as if it had died (its log may lack what it once acknowledged). */
function forgetRestart(state: PartitionState, nodeId: number, how: 'restarted' | 'lostData', live: ReadonlySet<number>): PartitionState {
  if (state.leader !== nodeId && !state.isr.includes(nodeId)) return state;
  const elected = electLeader(state, without(live, nodeId), false).state;
  if (how === 'restarted') return elected;
  // Its folder is new: it is not even the last ISR member an offline partition waits for.
  return { ...elected, isr: elected.isr.filter((id) => id !== nodeId) };
}

export function decidePartition(current: PartitionState, view: ControllerView, reassignment?: Reassignment): PartitionDecision {
  let state = current;
  for (const [nodeId, how] of view.restarted) state = forgetRestart(state, nodeId, how, view.live);

  const eligible = without(view.live, ...view.shuttingDown);
  let unclean = false;
  const preferred = electLeader(state, eligible, false);
  if (preferred.state.leader !== NO_LEADER) {
    state = preferred.state;
  } else {
    // No eligible ISR member: keep (or elect) one that is shutting down rather than go offline.
    const fallback = electLeader(state, view.live, view.allowUnclean);
    state = fallback.state;
    unclean = fallback.unclean;
  }

  let reassignmentDone = false;
  if (reassignment) {
    const step = reassignmentStep(state, reassignment, eligible);
    state = step.state;
    reassignmentDone = step.done;
  }
  return { state, changed: !sameState(current, state), unclean, reassignmentDone };
}
