/**
 * ElectLeaders (key 43, v0–2; kafka-leader-election.sh --election-type preferred): gives each
 * partition's leadership back to its preferred replica (the first one) when that replica is
 * alive and in the ISR, so leaders spread again after a rolling restart. ELECTION_NOT_NEEDED
 * when it leads already, PREFERRED_LEADER_NOT_AVAILABLE when it cannot. Null partitions mean
 * every partition. Only the PREFERRED type (0) is served: unclean election (1) is a broker
 * setting here (`--unclean-leader-election`), answered INVALID_REQUEST.
 */
import { SkeinError } from '../../errors.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import {
  decodeElectLeadersRequest,
  encodeElectLeadersResponse,
  type ElectLeadersRequest,
  type ElectLeadersResponse,
  type ReplicaElectionResult,
} from '../messages/elect-leaders.js';
import { defineHandler, errorMessageOf, type RequestContext } from './handler.js';

const PREFERRED = 0;

async function elect(ctx: RequestContext, topic: string, partition: number, electionType: number): Promise<{ errorCode: number; errorMessage: string | null }> {
  if (electionType !== PREFERRED) {
    return { errorCode: KAFKA_ERRORS.INVALID_REQUEST, errorMessage: 'only preferred leader election (type 0) is served; unclean election is the broker setting --unclean-leader-election' };
  }
  const member = ctx.broker.clusterMember;
  if (!member) {
    if (ctx.broker.partitionCount(topic) <= partition) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    return { errorCode: KAFKA_ERRORS.ELECTION_NOT_NEEDED, errorMessage: 'this broker runs alone and leads every partition' };
  }
  const outcome = await member.electPreferredLeader(topic, partition);
  if (outcome === 'elected') return { errorCode: KAFKA_ERRORS.NONE, errorMessage: null };
  if (outcome === 'notNeeded') return { errorCode: KAFKA_ERRORS.ELECTION_NOT_NEEDED, errorMessage: `${topic}-${partition} is led by its preferred replica already` };
  return { errorCode: KAFKA_ERRORS.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: `the preferred replica of ${topic}-${partition} is not alive and in sync` };
}

export const electLeadersHandler = defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  apiKey: 43,
  name: 'ElectLeaders',
  minVersion: 0,
  maxVersion: 2,
  decode: decodeElectLeadersRequest,
  encode: encodeElectLeadersResponse,
  async handle(request, ctx) {
    const targets =
      request.topicPartitions ??
      ctx.broker.listTopics().map((topic) => ({ topic, partitions: Array.from({ length: ctx.broker.partitionCount(topic) }, (_, p) => p) }));
    const replicaElectionResults: ReplicaElectionResult[] = [];
    for (const t of targets) {
      const partitionResult = [];
      for (const partitionId of t.partitions) {
        try {
          partitionResult.push({ partitionId, ...(await elect(ctx, t.topic, partitionId, request.electionType ?? PREFERRED)) });
        } catch (err) {
          partitionResult.push({ partitionId, errorCode: toKafkaErrorCode(err), errorMessage: errorMessageOf(err) });
        }
      }
      replicaElectionResults.push({ topic: t.topic, partitionResult });
    }
    return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.NONE, replicaElectionResults };
  },
  errorResponse(request, errorCode, _ctx, error) {
    const errorMessage = errorMessageOf(error);
    return {
      throttleTimeMs: 0,
      errorCode,
      replicaElectionResults: (request.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage })) })),
    };
  },
});
