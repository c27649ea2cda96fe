/**
 * `skein reassign`: moves partitions between brokers of a cluster (kafka-reassign-partitions.sh,
 * KIP-455) over the protocol: AlterPartitionReassignments to start (`--replicas 1,2,3`, or a
 * plan file in Kafka's JSON format: `{"partitions":[{"topic":"t","partition":0,"replicas":[2,3]}]}`)
 * or cancel (`--cancel`), ListPartitionReassignments to see what is in progress (`--list`), and
 * ElectLeaders to give leadership back to preferred replicas (`--elect-preferred`). The
 * controller does the work after the command returns; `--list` shows it until it is done.
 * Needs no native addon.
 */
import { readFileSync } from 'node:fs';
import { KAFKA_ERRORS } from '../protocol/error-codes.js';
import { decodeAlterPartitionReassignmentsResponse, encodeAlterPartitionReassignmentsRequest } from '../protocol/messages/alter-partition-reassignments.js';
import { decodeListPartitionReassignmentsResponse, encodeListPartitionReassignmentsRequest } from '../protocol/messages/list-partition-reassignments.js';
import { decodeElectLeadersResponse, encodeElectLeadersRequest } from '../protocol/messages/elect-leaders.js';
import { CliFailure, EXIT } from './exit-codes.js';
import type { Console } from './serve.js';
import { errorText, exitFor, withConnection } from './session.js';

const ALTER = { key: 45, version: 0 };
const LIST = { key: 46, version: 0 };
const ELECT = { key: 43, version: 1 };

/** One partition of a plan: its target replicas, or null to cancel its reassignment. */
export interface PlannedMove {
  topic: string;
  partition: number;
  replicas: number[] | null;
}

/** Reads a plan file in kafka-reassign-partitions.sh's format (`version` optional, `log_dirs` ignored). */
export function readPlan(path: string): PlannedMove[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliFailure(`cannot read the plan ${path}: ${(err as Error).message}`, EXIT.USAGE);
  }
  let plan: { partitions?: unknown };
  try {
    plan = JSON.parse(text) as { partitions?: unknown };
  } catch (err) {
    throw new CliFailure(`the plan ${path} is not JSON: ${(err as Error).message}`, EXIT.USAGE);
  }
  if (!plan || !Array.isArray(plan.partitions) || plan.partitions.length === 0) {
    throw new CliFailure(`the plan ${path} needs a non-empty "partitions" array of { "topic", "partition", "replicas" }`, EXIT.USAGE);
  }
  return plan.partitions.map((entry: unknown, i: number) => {
    const e = entry as { topic?: unknown; partition?: unknown; replicas?: unknown };
    const ints = Array.isArray(e.replicas) && e.replicas.length > 0 && e.replicas.every((r) => Number.isInteger(r) && (r as number) >= 0);
    if (typeof e.topic !== 'string' || !Number.isInteger(e.partition) || (e.partition as number) < 0 || !ints) {
      throw new CliFailure(`the plan ${path}: entry ${i} needs "topic" (string), "partition" (integer >= 0) and "replicas" (broker ids)`, EXIT.USAGE);
    }
    return { topic: e.topic, partition: e.partition as number, replicas: e.replicas as number[] };
  });
}

function byTopic<T extends { topic: string }>(moves: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const m of moves) out.set(m.topic, [...(out.get(m.topic) ?? []), m]);
  return out;
}

/** Starts (or cancels) the reassignments; prints one line per partition. */
export function reassign(bootstrap: string, moves: PlannedMove[], json: boolean, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const topics = [...byTopic(moves)].map(([name, ms]) => ({ name, partitions: ms.map((m) => ({ partitionIndex: m.partition, replicas: m.replicas })) }));
    const answer = await c.request(ALTER.key, ALTER.version, (w) => encodeAlterPartitionReassignmentsRequest(w, ALTER.version, { timeoutMs: 30_000, topics }), decodeAlterPartitionReassignmentsResponse);
    if (answer.errorCode !== KAFKA_ERRORS.NONE) throw new CliFailure(`the broker refused the reassignment: ${answer.errorMessage ?? errorText(answer.errorCode)}`, exitFor(answer.errorCode));
    let code: number = EXIT.OK;
    const rows = [];
    for (const t of answer.responses) {
      for (const p of t.partitions) {
        const move = moves.find((m) => m.topic === t.name && m.partition === p.partitionIndex);
        const what = move?.replicas ? `reassignment to ${move.replicas.join(',')} started` : 'reassignment cancelled';
        rows.push({ topic: t.name, partition: p.partitionIndex, replicas: move?.replicas ?? null, error: p.errorCode === KAFKA_ERRORS.NONE ? null : p.errorMessage ?? errorText(p.errorCode) });
        if (p.errorCode !== KAFKA_ERRORS.NONE) {
          io.err(`skein: cannot reassign ${t.name}-${p.partitionIndex}: ${p.errorMessage ?? errorText(p.errorCode)}`);
          if (code === EXIT.OK) code = p.errorCode === KAFKA_ERRORS.INVALID_REPLICA_ASSIGNMENT ? EXIT.USAGE : exitFor(p.errorCode);
        } else if (!json) io.out(`${t.name}\t${p.partitionIndex}\t${what}`);
      }
    }
    if (json) io.out(JSON.stringify(rows));
    return code;
  });
}

/** Prints the reassignments in progress (all, or of one topic). */
export function listReassignments(bootstrap: string, topic: string | undefined, json: boolean, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const answer = await c.request(LIST.key, LIST.version, (w) => encodeListPartitionReassignmentsRequest(w, LIST.version, { timeoutMs: 30_000, topics: null }), decodeListPartitionReassignmentsResponse);
    if (answer.errorCode !== KAFKA_ERRORS.NONE) throw new CliFailure(`the broker cannot list reassignments: ${answer.errorMessage ?? errorText(answer.errorCode)}`, exitFor(answer.errorCode));
    const rows = answer.topics
      .filter((t) => topic === undefined || t.name === topic)
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })));
    if (json) io.out(JSON.stringify(rows));
    else if (rows.length === 0) io.out('no reassignment in progress');
    else for (const r of rows) io.out(`${r.topic}\t${r.partition}\treplicas ${r.replicas.join(',')}\tadding ${r.adding.join(',') || '-'}\tremoving ${r.removing.join(',') || '-'}`);
    return EXIT.OK;
  });
}

/** Preferred leader election for the partitions given (all when none). */
export function electPreferred(bootstrap: string, moves: Array<{ topic: string; partition: number }> | null, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const topicPartitions = moves && [...byTopic(moves)].map(([t, ms]) => ({ topic: t, partitions: ms.map((m) => m.partition) }));
    const answer = await c.request(ELECT.key, ELECT.version, (w) => encodeElectLeadersRequest(w, ELECT.version, { electionType: 0, topicPartitions, timeoutMs: 30_000 }), decodeElectLeadersResponse);
    let code: number = EXIT.OK;
    for (const t of answer.replicaElectionResults) {
      for (const p of t.partitionResult) {
        if (p.errorCode === KAFKA_ERRORS.NONE) io.out(`${t.topic}\t${p.partitionId}\tpreferred leader elected`);
        else if (p.errorCode === KAFKA_ERRORS.ELECTION_NOT_NEEDED) io.out(`${t.topic}\t${p.partitionId}\tled by its preferred replica already`);
        else {
          io.err(`skein: cannot elect the preferred leader of ${t.topic}-${p.partitionId}: ${p.errorMessage ?? errorText(p.errorCode)}`);
          if (code === EXIT.OK) code = exitFor(p.errorCode);
        }
      }
    }
    return code;
  });
}
