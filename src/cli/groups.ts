/**
 * `skein groups list | describe | reset-offsets | delete`: consumer groups of a running broker
 * over the Kafka protocol, as kafka-consumer-groups.sh. `describe` shows the state, the
 * members with their assignments, and per partition the committed offset, the log end offset
 * and the lag. `reset-offsets` commits new offsets from outside group management, so (as in
 * Kafka) the group must have no active members. Needs no native addon.
 */
import { readableAssignment } from '../broker/group/consumer-protocol.js';
import { KAFKA_ERRORS } from '../protocol/error-codes.js';
import { decodeDeleteGroupsResponse, encodeDeleteGroupsRequest } from '../protocol/messages/delete-groups.js';
import { decodeDescribeGroupsResponse, encodeDescribeGroupsRequest, type DescribedGroup } from '../protocol/messages/describe-groups.js';
import { decodeListGroupsResponse, encodeListGroupsRequest } from '../protocol/messages/list-groups.js';
import { CliFailure, EXIT } from './exit-codes.js';
import type { KafkaConnection } from './kafka-connection.js';
import { API, EARLIEST, LATEST, commitOffsets, committedOffsets, listOffsets, partitionsOf, requireTopic } from './kafka-requests.js';
import type { Console } from './serve.js';
import { errorText, exitFor, withConnection } from './session.js';

export function listGroups(bootstrap: string, json: boolean, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const { key, version } = API.listGroups;
    const answer = await c.request(key, version, (w) => encodeListGroupsRequest(w, version, {}), decodeListGroupsResponse);
    if (answer.errorCode !== KAFKA_ERRORS.NONE) throw new CliFailure(`list groups: ${errorText(answer.errorCode)}`, EXIT.FAILED);
    const groups = [...answer.groups].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
    if (json) io.out(JSON.stringify(groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }))));
    else for (const g of groups) io.out(`${g.groupId}\t${g.protocolType || '-'}`);
    return EXIT.OK;
  });
}

async function describeOne(c: KafkaConnection, groupId: string): Promise<DescribedGroup> {
  const { key, version } = API.describeGroups;
  const answer = await c.request(key, version, (w) => encodeDescribeGroupsRequest(w, version, { groups: [groupId] }), decodeDescribeGroupsResponse);
  const g = answer.groups[0];
  if (!g || g.errorCode !== KAFKA_ERRORS.NONE) {
    const code = g?.errorCode ?? KAFKA_ERRORS.GROUP_ID_NOT_FOUND;
    throw new CliFailure(`group ${groupId}: ${errorText(code)}`, exitFor(code));
  }
  return g;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  logEndOffset: number;
  lag: number;
  memberId: string | null;
}

export function describeGroup(bootstrap: string, groupId: string, json: boolean, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const g = await describeOne(c, groupId);
    const committed = await committedOffsets(c, groupId, null);
    // Kafka answers Dead for a group it never heard of; a group with neither members nor offsets is not there.
    if ((g.groupState === 'Dead' || (g.groupState === 'Empty' && g.members.length === 0)) && committed.size === 0) {
      throw new CliFailure(`group ${groupId} does not exist (skein groups list shows the groups there are)`, EXIT.NOT_FOUND);
    }
    const members = g.members.map((m) => {
      const assignment = readableAssignment(g.protocolType, m.memberAssignment);
      return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment };
    });
    const owner = new Map<string, string>();
    for (const m of members) for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}\0${p}`, m.memberId);
    // Lag over every partition the group has offsets for or is assigned.
    const wanted = new Map<string, Set<number>>();
    for (const [topic, parts] of committed) for (const p of parts.keys()) (wanted.get(topic) ?? wanted.set(topic, new Set()).get(topic)!).add(p);
    for (const m of members) for (const a of m.assignment) for (const p of a.partitions) (wanted.get(a.topic) ?? wanted.set(a.topic, new Set()).get(a.topic)!).add(p);
    const ends = wanted.size > 0 ? await listOffsets(c, new Map([...wanted].map(([t, s]) => [t, [...s]])), LATEST) : new Map<string, Map<number, number>>();
    const lags: PartitionLag[] = [];
    for (const [topic, parts] of [...wanted].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      for (const partition of [...parts].sort((a, b) => a - b)) {
        const committedOffset = committed.get(topic)?.get(partition) ?? -1;
        const logEndOffset = ends.get(topic)?.get(partition) ?? -1;
        const lag = committedOffset >= 0 && logEndOffset >= 0 ? Math.max(0, logEndOffset - committedOffset) : logEndOffset >= 0 ? logEndOffset : 0;
        lags.push({ topic, partition, committedOffset, logEndOffset, lag, memberId: owner.get(`${topic}\0${partition}`) ?? null });
      }
    }
    const totalLag = lags.reduce((sum, l) => sum + l.lag, 0);
    if (json) {
      io.out(JSON.stringify({ groupId, state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData, members, partitions: lags, totalLag }));
      return EXIT.OK;
    }
    io.out(`group ${groupId}: ${g.groupState}${g.protocolData ? `, protocol ${g.protocolData}` : ''}, ${members.length} member${members.length === 1 ? '' : 's'}, total lag ${totalLag}`);
    for (const m of members) {
      io.out(`member ${m.memberId} (${m.clientId}@${m.clientHost}): ${m.assignment.map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ') || 'no partitions'}`);
    }
    io.out('topic\tpartition\tcommitted\tend\tlag\tmember');
    for (const l of lags) io.out(`${l.topic}\t${l.partition}\t${l.committedOffset < 0 ? '-' : l.committedOffset}\t${l.logEndOffset}\t${l.lag}\t${l.memberId ?? '-'}`);
    return EXIT.OK;
  });
}

export interface ResetOptions {
  bootstrap: string;
  groupId: string;
  topic: string;
  to: { earliest: true } | { latest: true } | { offset: number };
  partitions?: number[];
  json: boolean;
}

export function resetOffsets(options: ResetOptions, io: Console): Promise<number> {
  return withConnection(options.bootstrap, io, async (c) => {
    const g = await describeOne(c, options.groupId);
    if (g.members.length > 0) {
      throw new CliFailure(`group ${options.groupId} has ${g.members.length} active member${g.members.length === 1 ? '' : 's'} (state ${g.groupState}): stop its consumers, then reset`, EXIT.FAILED);
    }
    const t = await requireTopic(c, options.topic);
    const all = partitionsOf(t);
    const partitions = options.partitions ?? all;
    for (const p of partitions) if (!all.includes(p)) throw new CliFailure(`topic ${options.topic} has no partition ${p}`, EXIT.NOT_FOUND);
    const wanted = new Map([[options.topic, partitions]]);
    const starts = (await listOffsets(c, wanted, EARLIEST)).get(options.topic)!;
    const ends = (await listOffsets(c, wanted, LATEST)).get(options.topic)!;
    const target = new Map<number, number>();
    for (const p of partitions) {
      const to = options.to;
      const offset = 'earliest' in to ? starts.get(p)! : 'latest' in to ? ends.get(p)! : Math.min(Math.max(to.offset, starts.get(p)!), ends.get(p)!);
      target.set(p, offset);
    }
    await commitOffsets(c, options.groupId, new Map([[options.topic, target]]));
    if (options.json) io.out(JSON.stringify({ groupId: options.groupId, topic: options.topic, offsets: Object.fromEntries(target) }));
    else for (const [p, o] of target) io.out(`${options.groupId}\t${options.topic}\t${p}\t${o}`);
    return EXIT.OK;
  });
}

export function deleteGroups(bootstrap: string, groupIds: string[], io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const { key, version } = API.deleteGroups;
    const answer = await c.request(key, version, (w) => encodeDeleteGroupsRequest(w, version, { groupsNames: groupIds }), decodeDeleteGroupsResponse);
    let code: number = EXIT.OK;
    for (const r of answer.results) {
      if (r.errorCode === KAFKA_ERRORS.NONE) io.out(`deleted group ${r.groupId}`);
      else {
        const hint = r.errorCode === KAFKA_ERRORS.NON_EMPTY_GROUP ? ' (stop its consumers first)' : '';
        io.err(`skein: cannot delete group ${r.groupId}: ${errorText(r.errorCode)}${hint}`);
        code = code === EXIT.OK ? exitFor(r.errorCode) : code;
      }
    }
    return code;
  });
}
