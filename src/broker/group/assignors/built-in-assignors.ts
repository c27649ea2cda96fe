/**
 * The assignors Skein ships, by the protocol names Kafka clients use, so a consumer can list
 * them in JoinGroup and the leader can find the one the coordinator chose.
 */
import type { Assignor } from './assignor.js';
import { cooperativeStickyAssignor } from './cooperative-sticky.js';
import { rangeAssignor } from './range.js';
import { roundRobinAssignor } from './round-robin.js';

export const BUILT_IN_ASSIGNORS: readonly Assignor[] = [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor];

export function builtInAssignor(name: string): Assignor | undefined {
  return BUILT_IN_ASSIGNORS.find((a) => a.name === name);
}
