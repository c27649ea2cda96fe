/**
 * Shared pieces of the group coordinator tests: a coordinator with small timers over a
 * MemoryOffsetStore, join requests with consumer-protocol metadata, a group brought to
 * Stable, and waiting helpers that decide by behaviour (settled or not), never by elapsed time.
 */
import * as assert from 'uvu/assert';
import { GroupCoordinator, type GroupCoordinatorOptions } from '../../../src/broker/group/group-coordinator.js';
import { MemoryOffsetStore } from '../../../src/broker/group/offset-store.js';
import { encodeAssignment, encodeSubscription } from '../../../src/broker/group/consumer-protocol.js';
import { SkeinError, type ErrorCode } from '../../../src/errors.js';
import type { GroupProtocol, JoinGroupRequest, JoinGroupResult } from '../../../src/broker/types.js';

export const GROUP = 'g';

/**
 * The coordinator's timers are unref()'d, so a test awaiting a parked join would otherwise
 * let the process exit mid-test. Call in test.before; the returned function goes in test.after.
 */
export function keepProcessAlive(): () => void {
  const timer = setInterval(() => {}, 60_000);
  return () => clearInterval(timer);
}

export function newCoordinator(options: Partial<GroupCoordinatorOptions> = {}): GroupCoordinator {
  return new GroupCoordinator({ offsetStore: new MemoryOffsetStore(), initialRebalanceDelayMs: 20, minSessionTimeoutMs: 10, ...options });
}

export function protocol(name: string, topics: string[] = ['t']): GroupProtocol {
  return { name, metadata: encodeSubscription({ topics }) };
}

export function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: GROUP,
    memberId: '',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [protocol('range')],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...overrides,
  };
}

/** Awaits `promise` and checks it rejected with a SkeinError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, what: string = code): Promise<SkeinError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SkeinError, `${what}: expected a SkeinError, got ${String(error)}`);
    assert.is(error.code, code, `${what}: ${error.message}`);
    return error;
  }
  assert.unreachable(`${what}: resolved, expected ${code}`);
  throw new Error('unreachable');
}

/** True if `promise` settles while the event loop turns a few times (no timers fire meanwhile unless due). */
export async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries `attempt` every 10 ms until it returns true; fails after `tries`. */
export async function eventually(attempt: () => Promise<boolean>, what: string, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await attempt()) return;
    await sleep(10);
  }
  assert.unreachable(`never happened: ${what}`);
}

/** Resolves with the error code a heartbeat gets, or null when it succeeds. */
export async function heartbeatCode(coordinator: GroupCoordinator, memberId: string, generationId: number, groupInstanceId: string | null = null): Promise<ErrorCode | null> {
  try {
    await coordinator.heartbeat({ groupId: GROUP, memberId, generationId, groupInstanceId });
    return null;
  } catch (error) {
    if (error instanceof SkeinError) return error.code;
    throw error;
  }
}

export interface StableGroup {
  generationId: number;
  leader: string;
  /** In join order. */
  memberIds: string[];
  joins: JoinGroupResult[];
}

/** Joins `requests` together, then syncs with assignments naming each member, so the group is Stable. */
export async function stableGroup(coordinator: GroupCoordinator, requests: JoinGroupRequest[]): Promise<StableGroup> {
  const joins = await Promise.all(requests.map((r) => coordinator.joinGroup(r)));
  await syncAll(coordinator, joins);
  return { generationId: joins[0]!.generationId, leader: joins[0]!.leader, memberIds: joins.map((j) => j.memberId), joins };
}

/** Each member's assignment is its own member id as userData, so a test can tell them apart. */
export function assignmentFor(memberId: string): Buffer {
  return encodeAssignment({ assignedPartitions: [], userData: Buffer.from(memberId) });
}

export async function syncAll(coordinator: GroupCoordinator, joins: JoinGroupResult[]): Promise<Buffer[]> {
  const leader = joins.find((j) => j.memberId === j.leader)!;
  const results = await Promise.all(
    joins.map((j) =>
      coordinator.syncGroup({
        groupId: GROUP,
        generationId: j.generationId,
        memberId: j.memberId,
        assignments: j === leader ? leader.members.map((m) => ({ memberId: m.memberId, assignment: assignmentFor(m.memberId) })) : [],
      }),
    ),
  );
  return results.map((r) => r.assignment);
}
