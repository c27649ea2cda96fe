/**
 * `skein topics list | describe | create | delete | alter-config | add-partitions`: topic
 * administration against a running broker (any Kafka-compatible one) over the Kafka protocol.
 * Read commands print plain text, or one JSON document with --json; a refusal prints the
 * broker's Kafka error name and message on stderr with exit code 1 (4 for a missing topic).
 * Needs no native addon.
 */
import { KAFKA_ERRORS } from '../protocol/error-codes.js';
import { decodeAlterConfigsResponse, encodeAlterConfigsRequest } from '../protocol/messages/alter-configs.js';
import { decodeCreatePartitionsResponse, encodeCreatePartitionsRequest } from '../protocol/messages/create-partitions.js';
import { decodeCreateTopicsResponse, encodeCreateTopicsRequest } from '../protocol/messages/create-topics.js';
import { decodeDeleteTopicsResponse, encodeDeleteTopicsRequest } from '../protocol/messages/delete-topics.js';
import { decodeDescribeConfigsResponse, encodeDescribeConfigsRequest } from '../protocol/messages/describe-configs.js';
import { CliFailure, EXIT } from './exit-codes.js';
import type { KafkaConnection } from './kafka-connection.js';
import { API, EARLIEST, LATEST, listOffsets, metadata, partitionsOf, requireTopic } from './kafka-requests.js';
import type { Console } from './serve.js';
import { errorText, exitFor, withConnection } from './session.js';

const TOPIC_RESOURCE = 2;
/** DescribeConfigs' configSource for a value set on the topic itself (DYNAMIC_TOPIC_CONFIG). */
const SET_ON_TOPIC = 1;

export function listTopics(bootstrap: string, includeInternal: boolean, json: boolean, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const answer = await metadata(c, null);
    const topics = answer.topics.filter((t) => includeInternal || !t.isInternal).sort((a, b) => (a.name! < b.name! ? -1 : 1));
    if (json) io.out(JSON.stringify(topics.map((t) => ({ name: t.name, partitions: t.partitions.length, internal: t.isInternal }))));
    else for (const t of topics) io.out(`${t.name}\t${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'}`);
    return EXIT.OK;
  });
}

async function topicConfigs(c: KafkaConnection, topic: string): Promise<Array<{ name: string; value: string | null; source: number }>> {
  const { key, version } = API.describeConfigs;
  const answer = await c.request(
    key,
    version,
    (w) => encodeDescribeConfigsRequest(w, version, { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: null }], includeSynonyms: false }),
    decodeDescribeConfigsResponse,
  );
  const result = answer.results[0];
  if (!result || result.errorCode !== KAFKA_ERRORS.NONE) {
    const code = result?.errorCode ?? KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION;
    throw new CliFailure(`configs of ${topic}: ${errorText(code, result?.errorMessage)}`, exitFor(code));
  }
  return result.configs.map((cfg) => ({ name: cfg.name, value: cfg.value, source: cfg.configSource ?? -1 }));
}

export function describeTopic(bootstrap: string, topic: string, json: boolean, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const t = await requireTopic(c, topic);
    const partitions = partitionsOf(t);
    const wanted = new Map([[topic, partitions]]);
    const starts = (await listOffsets(c, wanted, EARLIEST)).get(topic)!;
    const ends = (await listOffsets(c, wanted, LATEST)).get(topic)!;
    const leaders = new Map(t.partitions.map((p) => [p.partitionIndex, p.leaderId]));
    const rows = partitions.map((p) => {
      const start = starts.get(p) ?? -1;
      const end = ends.get(p) ?? -1;
      return { partition: p, leader: leaders.get(p) ?? -1, startOffset: start, endOffset: end, records: Math.max(0, end - start) };
    });
    const configs = await topicConfigs(c, topic);
    const set = configs.filter((cfg) => cfg.source === SET_ON_TOPIC);
    if (json) {
      io.out(JSON.stringify({ name: topic, partitions: rows, configs: Object.fromEntries(configs.map((cfg) => [cfg.name, cfg.value])), overrides: Object.fromEntries(set.map((cfg) => [cfg.name, cfg.value])) }));
      return EXIT.OK;
    }
    io.out(`topic ${topic}: ${partitions.length} partition${partitions.length === 1 ? '' : 's'}`);
    io.out('partition\tleader\tstart\tend\trecords');
    for (const r of rows) io.out(`${r.partition}\t${r.leader}\t${r.startOffset}\t${r.endOffset}\t${r.records}`);
    io.out(set.length === 0 ? 'configs: all defaults' : `configs: ${set.map((cfg) => `${cfg.name}=${cfg.value}`).join(', ')}`);
    return EXIT.OK;
  });
}

export function createTopic(bootstrap: string, topic: string, partitions: number, configs: Record<string, string>, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const { key, version } = API.createTopics;
    const answer = await c.request(
      key,
      version,
      (w) =>
        encodeCreateTopicsRequest(w, version, {
          topics: [{ name: topic, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
          timeoutMs: 30_000,
          validateOnly: false,
        }),
      decodeCreateTopicsResponse,
    );
    const result = answer.topics[0]!;
    if (result.errorCode !== KAFKA_ERRORS.NONE) {
      const hint = result.errorCode === KAFKA_ERRORS.TOPIC_ALREADY_EXISTS ? ' (skein topics describe shows it)' : '';
      throw new CliFailure(`cannot create topic ${topic}: ${errorText(result.errorCode, result.errorMessage)}${hint}`, EXIT.FAILED);
    }
    io.out(`created topic ${topic}`);
    return EXIT.OK;
  });
}

export function deleteTopics(bootstrap: string, topics: string[], io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const { key, version } = API.deleteTopics;
    const answer = await c.request(key, version, (w) => encodeDeleteTopicsRequest(w, version, { topicNames: topics, timeoutMs: 30_000 }), decodeDeleteTopicsResponse);
    let code: number = EXIT.OK;
    for (const r of answer.responses) {
      if (r.errorCode === KAFKA_ERRORS.NONE) io.out(`deleted topic ${r.name}`);
      else {
        io.err(`skein: cannot delete topic ${r.name}: ${errorText(r.errorCode, r.errorMessage)}`);
        if (code === EXIT.OK) code = exitFor(r.errorCode);
      }
    }
    return code;
  });
}

/**
 * Sets (name=value) and removes (name) topic configs. AlterConfigs replaces the topic's whole
 * set, so the current overrides are read first and merged, as kafka-configs.sh did before
 * IncrementalAlterConfigs.
 */
export function alterTopicConfig(bootstrap: string, topic: string, set: Record<string, string>, remove: string[], io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    await requireTopic(c, topic);
    const current = await topicConfigs(c, topic);
    const merged = new Map(current.filter((cfg) => cfg.source === SET_ON_TOPIC).map((cfg) => [cfg.name, cfg.value]));
    for (const name of remove) merged.delete(name);
    for (const [name, value] of Object.entries(set)) merged.set(name, value);
    const { key, version } = API.alterConfigs;
    const answer = await c.request(
      key,
      version,
      (w) =>
        encodeAlterConfigsRequest(w, version, {
          resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: [...merged].map(([name, value]) => ({ name, value })) }],
          validateOnly: false,
        }),
      decodeAlterConfigsResponse,
    );
    const r = answer.responses[0];
    if (!r || r.errorCode !== KAFKA_ERRORS.NONE) {
      const code = r?.errorCode ?? KAFKA_ERRORS.UNKNOWN_SERVER_ERROR;
      throw new CliFailure(`cannot alter configs of ${topic}: ${errorText(code, r?.errorMessage)}`, exitFor(code));
    }
    io.out(`altered configs of ${topic}: ${[...merged].map(([n, v]) => `${n}=${v}`).join(', ') || 'all defaults'}`);
    return EXIT.OK;
  });
}

export function addPartitions(bootstrap: string, topic: string, total: number, io: Console): Promise<number> {
  return withConnection(bootstrap, io, async (c) => {
    const { key, version } = API.createPartitions;
    const answer = await c.request(
      key,
      version,
      (w) => encodeCreatePartitionsRequest(w, version, { topics: [{ name: topic, count: total, assignments: null }], timeoutMs: 30_000, validateOnly: false }),
      decodeCreatePartitionsResponse,
    );
    const r = answer.results[0];
    if (!r || r.errorCode !== KAFKA_ERRORS.NONE) {
      const code = r?.errorCode ?? KAFKA_ERRORS.UNKNOWN_SERVER_ERROR;
      throw new CliFailure(`cannot add partitions to ${topic}: ${errorText(code, r?.errorMessage)}`, exitFor(code));
    }
    io.out(`topic ${topic} now has ${total} partitions`);
    return EXIT.OK;
  });
}
