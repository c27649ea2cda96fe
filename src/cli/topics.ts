/**
 * `skein topics list | describe | create | delete`: topic administration against a running
 * broker (any Kafka-compatible one) over the Kafka protocol, through KafkaConnection. Each
 * command prints plain text on stdout and, on a refusal, the broker's Kafka error name and
 * message on stderr with exit code 1.
 */
import { KAFKA_ERRORS, kafkaErrorName } from '../protocol/error-codes.js';
import { decodeCreateTopicsResponse, encodeCreateTopicsRequest } from '../protocol/messages/create-topics.js';
import { decodeDeleteTopicsResponse, encodeDeleteTopicsRequest } from '../protocol/messages/delete-topics.js';
import { decodeDescribeConfigsResponse, encodeDescribeConfigsRequest } from '../protocol/messages/describe-configs.js';
import { decodeListOffsetsResponse, encodeListOffsetsRequest } from '../protocol/messages/list-offsets.js';
import { decodeMetadataResponse, encodeMetadataRequest } from '../protocol/messages/metadata.js';
import { KafkaConnection } from './kafka-connection.js';
import type { Console } from './serve.js';

/** Versions every Kafka broker since 2.x serves (and Skein does); Metadata v4+ can ask not to create topics. */
const V = { metadata: 4, createTopics: 4, deleteTopics: 4, listOffsets: 1, describeConfigs: 1 } as const;

function errorText(code: number, message?: string | null): string {
  return `${kafkaErrorName(code) ?? `error ${code}`}${message ? ` (${message})` : ''}`;
}

async function withConnection(bootstrap: string, io: Console, work: (c: KafkaConnection) => Promise<number>): Promise<number> {
  let connection: KafkaConnection;
  try {
    connection = await KafkaConnection.open(bootstrap);
  } catch (err) {
    io.err(`skein: ${(err as Error).message}`);
    return 1;
  }
  try {
    return await work(connection);
  } catch (err) {
    io.err(`skein: ${(err as Error).message}`);
    return 1;
  } finally {
    connection.close();
  }
}

export function listTopics(bootstrap: string, includeInternal: boolean, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const metadata = await c.request(3, V.metadata, (w) => encodeMetadataRequest(w, V.metadata, { topics: null, allowAutoTopicCreation: false }), decodeMetadataResponse);
    const topics = metadata.topics.filter((t) => includeInternal || !t.isInternal).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const t of topics) io.out(`${t.name}\t${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'}`);
    return 0;
  });
}

export function describeTopic(bootstrap: string, topic: string, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const metadata = await c.request(3, V.metadata, (w) => encodeMetadataRequest(w, V.metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false }), decodeMetadataResponse);
    const t = metadata.topics[0];
    if (!t || t.errorCode !== KAFKA_ERRORS.NONE) {
      io.err(`skein: cannot describe topic ${topic}: ${errorText(t?.errorCode ?? KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION)}`);
      return 1;
    }
    const partitions = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
    const ends = async (timestamp: number) => {
      const answer = await c.request(
        2,
        V.listOffsets,
        (w) => encodeListOffsetsRequest(w, V.listOffsets, { replicaId: -1, topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p.partitionIndex, timestamp })) }] }),
        decodeListOffsetsResponse,
      );
      return new Map(answer.topics[0]!.partitions.map((p) => [p.partitionIndex, p.offset]));
    };
    const starts = await ends(-2);
    const latest = await ends(-1);
    io.out(`topic ${topic}: ${partitions.length} partition${partitions.length === 1 ? '' : 's'}`);
    io.out('partition\tleader\tstart\tend\trecords');
    for (const p of partitions) {
      const start = starts.get(p.partitionIndex) ?? -1;
      const end = latest.get(p.partitionIndex) ?? -1;
      io.out(`${p.partitionIndex}\t${p.leaderId}\t${start}\t${end}\t${Math.max(0, end - start)}`);
    }
    const configs = await c.request(
      32,
      V.describeConfigs,
      (w) => encodeDescribeConfigsRequest(w, V.describeConfigs, { resources: [{ resourceType: 2, resourceName: topic, configurationKeys: null }], includeSynonyms: false }),
      decodeDescribeConfigsResponse,
    );
    const set = (configs.results[0]?.configs ?? []).filter((cfg) => cfg.configSource === 1);
    io.out(set.length === 0 ? 'configs: all defaults' : `configs: ${set.map((cfg) => `${cfg.name}=${cfg.value}`).join(', ')}`);
    return 0;
  });
}

export function createTopic(bootstrap: string, topic: string, partitions: number, configs: Record<string, string>, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const answer = await c.request(
      19,
      V.createTopics,
      (w) =>
        encodeCreateTopicsRequest(w, V.createTopics, {
          topics: [{ name: topic, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
          timeoutMs: 30_000,
          validateOnly: false,
        }),
      decodeCreateTopicsResponse,
    );
    const result = answer.topics[0]!;
    if (result.errorCode !== KAFKA_ERRORS.NONE) {
      io.err(`skein: cannot create topic ${topic}: ${errorText(result.errorCode, result.errorMessage)}`);
      return 1;
    }
    io.out(`created topic ${topic}`);
    return 0;
  });
}

export function deleteTopics(bootstrap: string, topics: string[], io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const answer = await c.request(20, V.deleteTopics, (w) => encodeDeleteTopicsRequest(w, V.deleteTopics, { topicNames: topics, timeoutMs: 30_000 }), decodeDeleteTopicsResponse);
    let code = 0;
    for (const r of answer.responses) {
      if (r.errorCode === KAFKA_ERRORS.NONE) io.out(`deleted topic ${r.name}`);
      else {
        io.err(`skein: cannot delete topic ${r.name}: ${errorText(r.errorCode, r.errorMessage)}`);
        code = 1;
      }
    }
    return code;
  });
}
