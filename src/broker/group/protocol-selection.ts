/**
 * Choosing the group's protocol (for consumers: the assignor) the way Kafka's
 * GroupMetadata.selectProtocol does: the candidates are the protocols every member offers;
 * each member votes for the first candidate in its own preference order; most votes wins.
 * Kafka leaves ties to hash-map order; we break them by the leader's preference order, so
 * the choice is deterministic. Pure functions.
 */
import type { GroupProtocol } from '../types.js';

export interface ProtocolVoter {
  protocols: readonly GroupProtocol[];
}

/** Names offered by every member, in the first member's order. */
export function candidateProtocols(members: readonly ProtocolVoter[]): string[] {
  if (members.length === 0) return [];
  const [first, ...rest] = members;
  return first!.protocols.map((p) => p.name).filter((name) => rest.every((m) => m.protocols.some((p) => p.name === name)));
}

/** The winning protocol name, or null when the members have none in common. */
export function selectProtocol(members: readonly ProtocolVoter[], leader: ProtocolVoter): string | null {
  const candidates = new Set(candidateProtocols(members));
  if (candidates.size === 0) return null;
  const votes = new Map<string, number>();
  for (const member of members) {
    const choice = member.protocols.find((p) => candidates.has(p.name))!.name;
    votes.set(choice, (votes.get(choice) ?? 0) + 1);
  }
  let winner: string | null = null;
  for (const { name } of leader.protocols) {
    const count = votes.get(name) ?? 0;
    if (count > 0 && (winner === null || count > votes.get(winner)!)) winner = name;
  }
  return winner;
}
