/**
 * Independent oracle for responses: for every API and version kafkajs 2.2.4 can decode
 * within the versions Skein serves, random responses (helpers/spec-model.ts) are encoded
 * with our generated encoders and decoded with kafkajs's response decoders. Every value
 * kafkajs reads must be the value we wrote, in wire order (kafkajs names fields its own
 * way, so values are compared as the sequence of leaves of both objects), and record sets
 * in Fetch responses must come out as the records we put in. A few named fields are also
 * checked directly for the responses clients depend on most.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { APIS } from '../../src/protocol/api-keys.js';
import { Writer } from '../../src/protocol/codec/writer.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { encodeMessageSet } from '../../src/records/message-set.js';
import { REPO, SCHEMATA, SpecModel, camel, inRange, kebab, loadSpec, type Codec, type SpecField } from './helpers/spec-model.js';

const require = createRequire(import.meta.url);
const KAFKAJS_REQUESTS = `${REPO}node_modules/kafkajs/src/protocol/requests/`;
const RUNS = Number(process.env.SKEIN_PROTOCOL_RUNS ?? 30);

/** kafkajs's folder for each of our API names (kafkajs calls FindCoordinator GroupCoordinator but keeps the folder name). */
const folderOf = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

interface KafkajsResponse {
  decode: (body: Buffer) => Promise<Record<string, unknown>>;
}

/** Two real record batches, as a Fetch response carries them (kafkajs parses them into messages). */
const BATCHES = [
  encodeRecordBatch([{ key: 'k1', value: 'v1', timestamp: 1700000000000 }, { value: 'v2', timestamp: 1700000000005 }], { baseOffset: 40 }),
  encodeRecordBatch([{ key: 'k3', value: 'v3', timestamp: 1700000000009, headers: { h: 'x' } }], { baseOffset: 42 }),
];

/** The same records as legacy message sets, as Fetch v0-1 (magic 0) and v2-3 (magic 1) carry them. */
const LEGACY_MESSAGES = [
  { offset: 40, key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1700000000000 },
  { offset: 41, key: null, value: Buffer.from('v2'), timestamp: 1700000000005 },
  { offset: 42, key: Buffer.from('k3'), value: Buffer.from('v3'), timestamp: 1700000000009 },
];
const LEGACY_SETS = [encodeMessageSet(LEGACY_MESSAGES, 0), encodeMessageSet(LEGACY_MESSAGES, 1)];

/** Our values in wire order: the fields present at `version`, depth first; records left out (checked apart). */
function ourLeaves(model: SpecModel, fields: SpecField[], value: Record<string, unknown>, version: number, out: string[]): void {
  for (const field of fields) {
    if (!inRange(field.versions, version) || inRange(field.taggedVersions, version)) continue;
    if (field.type === 'records') continue;
    leaf(model, field, value[camel(field.name)], version, out);
  }
}

function leaf(model: SpecModel, field: SpecField, v: unknown, version: number, out: string[]): void {
  if (field.type.startsWith('[]')) {
    if (v === null) return; // kafkajs reads a null array as []
    const element = { ...field, type: field.type.slice(2) };
    for (const item of v as unknown[]) leaf(model, element, item, version, out);
    return;
  }
  if (/^[A-Z]/.test(field.type)) {
    ourLeaves(model, model.structFields(field), v as Record<string, unknown>, version, out);
    return;
  }
  out.push(show(v));
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (typeof v === 'object' && typeof (v as { toString?: unknown }).toString === 'function' && 'high' in (v as object)) return String(v); // kafkajs Long
  return String(v);
}

/** kafkajs's values in the order it decoded them (object keys keep insertion order). */
function kafkajsLeaves(v: unknown, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) kafkajsLeaves(item, out);
  } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v) && !('high' in v)) {
    for (const [key, item] of Object.entries(v)) {
      if (IGNORED_KEYS.has(key)) continue;
      kafkajsLeaves(item, out);
    }
  } else {
    out.push(show(v));
  }
}

/**
 * Keys kafkajs adds to what it decoded: `messages` (parsed records, checked apart),
 * `clientSideThrottleTime` (a copy of throttleTime, which it sets to 0), `error` (an
 * exception object for a failed group).
 */
const IGNORED_KEYS = new Set(['messages', 'clientSideThrottleTime', 'error']);

/** kafkajs moves, copies or computes a few values after reading them; undo that before comparing. */
function normalizeKafkajs(api: string, version: number, decoded: Record<string, unknown>): Record<string, unknown> {
  if ('clientSideThrottleTime' in decoded) {
    if (decoded.clientSideThrottleTime !== undefined) {
      decoded = { ...decoded, throttleTime: decoded.clientSideThrottleTime };
    } else {
      // DeleteGroups v1 reads throttleTimeMs but copies `throttleTime` (a kafkajs slip): drop its added 0.
      const { throttleTime: _added, ...rest } = decoded;
      decoded = rest;
    }
  }
  if (api === 'SaslAuthenticate') {
    // kafkajs hands authBytes to its SASL mechanisms with the int32 length put back in front.
    const framed = decoded.authBytes as Buffer;
    decoded = { ...decoded, authBytes: framed.readInt32BE(0) === -1 ? null : framed.subarray(4) };
  }
  if (api === 'DescribeConfigs') {
    // v0: configSource is derived from isDefault; v1+: isDefault is derived from configSource.
    const computed = version === 0 ? 'configSource' : 'isDefault';
    for (const resource of decoded.resources as Array<{ configEntries: Array<Record<string, unknown>> }>) {
      for (const entry of resource.configEntries) delete entry[computed];
    }
  }
  return decoded;
}

/** kafkajs sorts topic results by name (String#localeCompare); so do we, before encoding. */
const SORTED_BY_NAME: Record<string, string> = { CreateTopics: 'topics', DeleteTopics: 'responses', CreatePartitions: 'results', DeleteRecords: 'topics' };

/** Adjusts a random response to what kafkajs can decode at all. */
function fixup(api: string, version: number, message: Record<string, unknown>): Record<string, unknown> {
  // kafkajs throws on 35 UNSUPPORTED_VERSION here (it retries with a lower version).
  if ((api === 'ApiVersions' || api === 'SaslAuthenticate') && message.errorCode === 35) message = { ...message, errorCode: 0 };
  const sorted = SORTED_BY_NAME[api];
  if (sorted) (message[sorted] as Array<{ name: string }>).sort((a, b) => a.name.localeCompare(b.name));
  if (api === 'Fetch') {
    for (const topic of message.responses as Array<{ partitions: Array<Record<string, unknown>> }>) {
      const records = version >= 4 ? [BATCHES[0]!, BATCHES[1]!] : [LEGACY_SETS[version >= 2 ? 1 : 0]!];
      // kafkajs's legacy MessageSet decoder cannot read a null records field (size -1).
      for (const p of topic.partitions) p.records = p.records === null && version >= 4 ? null : records;
    }
  }
  return message;
}

let checked = 0;

/**
 * kafkajs 2.2.4 decodes these flexible responses with the response header's tagged fields at
 * the start of the body and throws away their error messages, so a leaf-by-leaf comparison
 * does not apply; test/cluster/controller-processes.test.ts drives them through kafkajs's admin
 * against real brokers instead.
 */
const NOT_COMPARABLE = ['AlterPartitionReassignments', 'ListPartitionReassignments'];

for (const api of APIS.filter((a) => !NOT_COMPARABLE.includes(a.name))) {
  test(`${api.name}: kafkajs decodes our responses to the values we wrote`, async () => {
    const codec = (await import(`../../src/protocol/messages/${kebab(api.name)}.js`)) as Codec;
    const encode = codec[`encode${api.name}Response`] as (w: Writer, v: number, m: unknown) => void;
    const spec = loadSpec(`${SCHEMATA}${api.name}Response.json`);
    const model = new SpecModel(spec, api.minVersion, api.maxVersion);
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const file = `${KAFKAJS_REQUESTS}${folderOf(api.name)}/v${v}/response.js`;
      if (!existsSync(file)) continue;
      // Most modules export { decode, parse }; DeleteRecords exports a factory of them.
      const exported = require(file) as KafkajsResponse | ((args: { topics: unknown[] }) => KafkajsResponse);
      const { decode } = typeof exported === 'function' ? exported({ topics: [] }) : exported;
      const samples = fc.sample(model.arbitrary(v).map((m) => fixup(api.name, v, m)), { numRuns: RUNS, seed: 0x5ce1 + v });
      for (const message of samples) {
        const w = new Writer();
        encode(w, v, message);
        const decoded = normalizeKafkajs(api.name, v, await decode(w.toBuffer()));
        const ours: string[] = [];
        ourLeaves(model, spec.fields, message, v, ours);
        const theirs: string[] = [];
        kafkajsLeaves(decoded, theirs);
        assert.equal(theirs, ours, `${api.name} v${v}`);
        if (api.name === 'Fetch') checkFetchMessages(message, decoded);
      }
      checked += 1;
    }
  });
}

/** kafkajs parsed the record batches of each partition into the records we put in. */
function checkFetchMessages(message: Record<string, unknown>, decoded: Record<string, unknown>): void {
  const ourTopics = message.responses as Array<{ partitions: Array<{ records: unknown }> }>;
  const theirTopics = decoded.responses as Array<{ partitions: Array<{ messages: Array<{ offset: string; key: Buffer | null; value: Buffer }> }> }>;
  ourTopics.forEach((topic, t) =>
    topic.partitions.forEach((p, i) => {
      const got = theirTopics[t]!.partitions[i]!.messages.map((m) => [m.offset, m.key?.toString() ?? null, m.value.toString()]);
      assert.equal(got, p.records === null ? [] : [['40', 'k1', 'v1'], ['41', null, 'v2'], ['42', 'k3', 'v3']]);
    }),
  );
}

test('named fields: Produce, Metadata and ApiVersions as kafkajs sees them', async () => {
  const produce = await import('../../src/protocol/messages/produce.js');
  const w = new Writer();
  produce.encodeProduceResponse(w, 7, {
    responses: [{ name: 'orders', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 2 ** 40, logAppendTimeMs: -1, logStartOffset: 5 }] }],
    throttleTimeMs: 0,
  });
  const p = await (require(`${KAFKAJS_REQUESTS}produce/v7/response.js`) as KafkajsResponse).decode(w.toBuffer());
  assert.equal(p.topics, [{ topicName: 'orders', partitions: [{ partition: 2, errorCode: 0, baseOffset: String(2 ** 40), logAppendTime: '-1', logStartOffset: '5' }] }]);

  const metadata = await import('../../src/protocol/messages/metadata.js');
  const m = new Writer();
  metadata.encodeMetadataResponse(m, 6, {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }],
    clusterId: 'skein',
    controllerId: 1,
    topics: [{ errorCode: 0, name: 't', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] }],
  });
  const md = await (require(`${KAFKAJS_REQUESTS}metadata/v6/response.js`) as KafkajsResponse).decode(m.toBuffer());
  assert.equal(md.brokers, [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }]);
  assert.is(md.clusterId, 'skein');
  assert.is((md.topicMetadata as Array<{ topic: string }>)[0]!.topic, 't');

  const apiVersions = await import('../../src/protocol/messages/api-versions.js');
  const a = new Writer();
  apiVersions.encodeApiVersionsResponse(a, 2, {
    errorCode: 0,
    apiKeys: APIS.map((x) => ({ apiKey: x.apiKey, minVersion: x.minVersion, maxVersion: x.maxVersion })),
    throttleTimeMs: 0,
  });
  const av = await (require(`${KAFKAJS_REQUESTS}apiVersions/v2/response.js`) as KafkajsResponse).decode(a.toBuffer());
  assert.equal(av.apiVersions, APIS.map((x) => ({ apiKey: x.apiKey, minVersion: x.minVersion, maxVersion: x.maxVersion })));
});

test('the v0 ApiVersions answer to an unsupported version makes kafkajs fall back', async () => {
  const apiVersions = await import('../../src/protocol/messages/api-versions.js');
  const w = new Writer();
  apiVersions.encodeApiVersionsResponse(w, 0, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 });
  const { decode } = require(`${KAFKAJS_REQUESTS}apiVersions/v2/response.js`) as KafkajsResponse;
  try {
    await decode(w.toBuffer());
    assert.unreachable('kafkajs accepted it');
  } catch (err) {
    assert.is((err as { type?: string }).type, 'UNSUPPORTED_VERSION');
  }
});

test('kafkajs decoded our responses for the API versions it has', () => {
  assert.ok(checked >= 80, `${checked} API versions checked`);
});

test.run();
