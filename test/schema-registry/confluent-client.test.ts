/**
 * The registry as Confluent's clients use it: @kafkajs/confluent-schema-registry registers,
 * evolves (a compatible and an incompatible change under each of the seven levels), encodes
 * and decodes against our REST server; records it encodes are decoded by the embedded
 * registry and the other way round, also through kafkajs over the Kafka protocol server.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Skein } from '../../src/client/skein.js';
import { SkeinError } from '../../src/errors.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const { Kafka, logLevel } = kafkajs;

test.after(cleanupTempDirs);

const FAST = { groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100 };

const record = (fields: unknown[], name = 'User') => JSON.stringify({ type: 'record', name, namespace: 'test', fields });
const A = { name: 'a', type: 'int' };
/** avsc decodes records as instances of generated classes; compare their data. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Per level: the versions already registered, a change it accepts, a change it refuses. */
const LEVELS: Array<{ level: string; history: string[]; compatible: string; incompatible: string }> = [
  {
    level: 'BACKWARD',
    history: [record([A])],
    compatible: record([A, { name: 'b', type: 'string', default: 'x' }]),
    incompatible: record([{ name: 'a', type: 'string' }, { name: 'b', type: 'string', default: 'x' }]),
  },
  {
    // Only the latest counts: v3 reads v2 (b present) though it cannot read v1.
    level: 'BACKWARD_TRANSITIVE',
    history: [record([A]), record([A, { name: 'b', type: 'string', default: 'x' }])],
    compatible: record([A, { name: 'b', type: 'string', default: 'y' }, { name: 'c', type: 'long', default: 0 }]),
    incompatible: record([A, { name: 'b', type: 'string' }]),
  },
  {
    level: 'FORWARD',
    history: [record([A])],
    compatible: record([A, { name: 'b', type: 'string' }]),
    incompatible: record([{ name: 'z', type: 'int' }]),
  },
  {
    level: 'FORWARD_TRANSITIVE',
    history: [record([A, { name: 'c', type: 'int' }]), record([A, { name: 'c', type: 'int', default: 0 }])],
    compatible: record([A, { name: 'c', type: 'int' }, { name: 'd', type: 'string' }]),
    incompatible: record([A]),
  },
  {
    level: 'FULL',
    history: [record([A])],
    compatible: record([A, { name: 'b', type: 'string', default: 'x' }]),
    incompatible: record([{ name: 'a', type: 'long' }]),
  },
  {
    level: 'FULL_TRANSITIVE',
    history: [record([A, { name: 'c', type: 'int' }]), record([A, { name: 'c', type: 'int', default: 0 }])],
    compatible: record([A, { name: 'c', type: 'int', default: 1 }, { name: 'e', type: 'string', default: '' }]),
    incompatible: record([A]),
  },
  {
    level: 'NONE',
    history: [record([A])],
    compatible: record([{ name: 'a', type: 'string' }]),
    incompatible: '',
  },
];

async function withRegistry(fn: (skein: Skein, client: ConfluentClient, url: string) => Promise<void>): Promise<void> {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
  try {
    const server = await skein.serveSchemaRegistry({ port: 0 });
    const client = new ConfluentClient({ host: server.url }, { retry: { retries: 0 } } as never);
    await fn(skein, client, server.url);
  } finally {
    await skein.close();
  }
}

async function rejects(promise: Promise<unknown>, status: number): Promise<void> {
  try {
    await promise;
  } catch (err) {
    assert.is((err as { status?: number }).status, status, String(err));
    return;
  }
  assert.unreachable(`expected HTTP ${status}`);
}

for (const { level, history, compatible, incompatible } of LEVELS) {
  test(`${level}: the client registers, evolves compatibly, is refused an incompatible change`, async () => {
    await withRegistry(async (_skein, client, url) => {
      const subject = `s-${level}`;
      const ids: number[] = [];
      for (const schema of history) {
        ids.push((await client.register({ type: SchemaType.AVRO, schema }, { subject, compatibility: level as never })).id);
      }
      const config = await (await fetch(`${url}/config/${subject}`)).json();
      assert.equal(config, { compatibilityLevel: level });
      const next = await client.register({ type: SchemaType.AVRO, schema: compatible }, { subject, compatibility: level as never });
      assert.ok(next.id > Math.max(...ids), 'a new schema gets a new id');
      assert.is(await client.getLatestSchemaId(subject), next.id);
      if (incompatible) {
        const versionsBefore = await (await fetch(`${url}/subjects/${subject}/versions`)).json();
        await rejects(client.register({ type: SchemaType.AVRO, schema: incompatible }, { subject, compatibility: level as never }), 409);
        const check = await fetch(`${url}/compatibility/subjects/${subject}/versions/latest?verbose=true`, {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
          body: JSON.stringify({ schema: incompatible }),
        });
        const answer = (await check.json()) as { is_compatible: boolean; messages: string[] };
        assert.is(answer.is_compatible, false);
        assert.ok(answer.messages.length > 0);
        assert.equal(await (await fetch(`${url}/subjects/${subject}/versions`)).json(), versionsBefore, 'a refused version changes nothing');
      }
    });
  });
}

test('BACKWARD (not transitive) accepts what BACKWARD_TRANSITIVE refuses', async () => {
  await withRegistry(async (skein) => {
    const registry = await skein.schemaRegistry();
    const v1 = record([A]);
    const v2 = record([A, { name: 'b', type: 'string', default: 'x' }]);
    const v3 = record([A, { name: 'b', type: 'string' }]);
    for (const [subject, level] of [['plain', 'BACKWARD'], ['transitive', 'BACKWARD_TRANSITIVE']] as const) {
      await registry.setConfig(subject, level);
      await registry.register(subject, v1);
      await registry.register(subject, v2);
    }
    assert.is((await registry.register('plain', v3)).version, 3);
    try {
      await registry.register('transitive', v3);
      assert.unreachable('transitive must refuse');
    } catch (err) {
      assert.is((err as SkeinError).code, 'SKEIN_INCOMPATIBLE_SCHEMA');
    }
  });
});

test('identical schemas share one global id across subjects; versions count per subject', async () => {
  await withRegistry(async (_skein, client) => {
    const schema = record([A, { name: 'name', type: 'string' }]);
    const first = await client.register({ type: SchemaType.AVRO, schema }, { subject: 'one' });
    const again = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(JSON.parse(schema), null, 2) }, { subject: 'one' });
    const other = await client.register({ type: SchemaType.AVRO, schema }, { subject: 'two' });
    assert.is(again.id, first.id);
    assert.is(other.id, first.id);
    assert.is(await client.getRegistryId('two', 1), first.id);
    assert.is(await client.getRegistryIdBySchema('one', { type: SchemaType.AVRO, schema }), first.id);
  });
});

test('client encodes, embedded decodes; embedded encodes, client decodes', async () => {
  await withRegistry(async (skein, client) => {
    const schema = record([A, { name: 'name', type: 'string' }, { name: 'tags', type: { type: 'array', items: 'string' } }]);
    const { id } = await client.register({ type: SchemaType.AVRO, schema }, { subject: 'users-value' });
    const registry = await skein.schemaRegistry();
    const value = { a: 7, name: 'ada', tags: ['x', 'y'] };
    const fromClient = await client.encode(id, value);
    assert.is(fromClient[0], 0);
    assert.is(fromClient.readInt32BE(1), id);
    assert.equal(plain(registry.decode(fromClient)), value);
    const fromUs = registry.encode({ subject: 'users-value' }, value);
    assert.equal(fromUs, fromClient, 'the same bytes');
    assert.equal(plain(await client.decode(fromUs)), value);
  });
});

test('kafkajs + confluent serializer and the embedded producer/consumer read each other\'s records', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), ...FAST });
  let kafkaConsumer: kafkajs.Consumer | undefined;
  try {
    const server = await skein.serveSchemaRegistry({ port: 0 });
    const listener = await skein.listen({ port: 0 });
    const client = new ConfluentClient({ host: server.url });
    const registry = await skein.schemaRegistry();
    const schema = record([A, { name: 'who', type: 'string' }], 'Event');
    const { id } = await client.register({ type: SchemaType.AVRO, schema }, { subject: 'events-value' });
    await skein.admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }] });

    const kafka = new Kafka({ clientId: 'sr-test', brokers: [listener.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'events', messages: [{ value: await client.encode(id, { a: 1, who: 'kafkajs' }) }] });
    await producer.disconnect();
    const ours = skein.producer();
    await ours.send({ topic: 'events', messages: [{ value: registry.encode({ subject: 'events-value' }, { a: 2, who: 'embedded' }) }] });

    const embedded: unknown[] = [];
    const consumer = skein.consumer({ groupId: 'embedded', maxWaitTimeInMs: 50 });
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void embedded.push(plain(registry.decode(message.value!))) });

    const viaKafkajs: unknown[] = [];
    kafkaConsumer = kafka.consumer({ groupId: 'kafkajs', maxWaitTimeInMs: 50 });
    await kafkaConsumer.connect();
    await kafkaConsumer.subscribe({ topic: 'events', fromBeginning: true });
    await kafkaConsumer.run({ eachMessage: async ({ message }) => void viaKafkajs.push(plain(await client.decode(message.value!))) });

    const deadline = Date.now() + 30_000;
    while ((embedded.length < 2 || viaKafkajs.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const expected = [
      { a: 1, who: 'kafkajs' },
      { a: 2, who: 'embedded' },
    ];
    assert.equal(embedded, expected);
    assert.equal(viaKafkajs, expected);
  } finally {
    await kafkaConsumer?.disconnect();
    await skein.close();
  }
});

test('decode refuses unframed bytes, unknown ids and bodies that do not match', async () => {
  await withRegistry(async (skein) => {
    const registry = await skein.schemaRegistry();
    const { id } = await registry.register('r', record([A, { name: 's', type: 'string' }]));
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as SkeinError).code;
      }
      return 'no error';
    };
    assert.is(code(() => registry.decode(Buffer.from('plain json'))), 'SKEIN_SCHEMA_MISMATCH');
    assert.is(code(() => registry.decode(Buffer.from([0, 0, 0, 0x7f, 0x01, 2]))), 'SKEIN_SCHEMA_NOT_FOUND');
    const good = registry.encode(id, { a: 1, s: 'hello' });
    assert.is(code(() => registry.decode(good.subarray(0, good.length - 2))), 'SKEIN_SCHEMA_MISMATCH');
    assert.is(code(() => registry.decode(Buffer.concat([good, Buffer.from([1, 2])]))), 'SKEIN_SCHEMA_MISMATCH');
    assert.is(code(() => registry.encode(id, { a: 'not an int', s: 'x' })), 'SKEIN_SCHEMA_MISMATCH');
    assert.equal(plain(registry.decode(good)), { a: 1, s: 'hello' });
  });
});

test.run();
