/**
 * The assignors an embedded consumer can offer, by the names members announce in JoinGroup.
 * The assignment itself runs in whichever member the coordinator makes leader (Kafka's classic
 * protocol), so this table decides which groups an embedded consumer can lead or join:
 * 'cooperative-sticky' (default), 'range' and 'roundrobin' as in the Java client, and
 * 'RoundRobinAssigner', the name kafkajs consumers use, so an embedded consumer can share a
 * group with kafkajs consumers (same round-robin dealing, consumer protocol v0 bytes as
 * kafkajs writes them).
 */
import { SkeinError } from '../errors.js';
import type { Assignor as GroupAssignor } from '../broker/group/assignors/assignor.js';
import { rangeAssignor } from '../broker/group/assignors/range.js';
import { roundRobinAssignor } from '../broker/group/assignors/round-robin.js';
import { cooperativeStickyAssignor } from '../broker/group/assignors/cooperative-sticky.js';
import type { Subscription, TopicPartitions } from '../broker/group/consumer-protocol.js';

export interface Assignor {
  name: string;
  rebalanceProtocol: 'eager' | 'cooperative';
  /** Consumer protocol version of the subscription this member sends. */
  subscriptionVersion: number;
  /** Consumer protocol version of the assignments the leader sends. */
  assignmentVersion: number;
  assign(members: Array<{ memberId: string; subscription: Subscription }>, partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartitions[]>;
}

function wrap(assignor: GroupAssignor, name = assignor.name, version = 3): Assignor {
  return {
    name,
    rebalanceProtocol: assignor.rebalanceProtocol,
    subscriptionVersion: version,
    assignmentVersion: version === 0 ? 0 : 3,
    assign: (members, partitionsPerTopic) => assignor.assign({ members, partitionsPerTopic }),
  };
}

const ASSIGNORS: Record<string, Assignor> = {
  'cooperative-sticky': wrap(cooperativeStickyAssignor),
  range: wrap(rangeAssignor),
  roundrobin: wrap(roundRobinAssignor),
  RoundRobinAssigner: wrap(roundRobinAssignor, 'RoundRobinAssigner', 0),
};

export function assignorByName(name: string): Assignor {
  const assignor = ASSIGNORS[name];
  if (!assignor) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `unknown partition assignor ${name}; use one of ${Object.keys(ASSIGNORS).join(', ')}`);
  }
  return assignor;
}
