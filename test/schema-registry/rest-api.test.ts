/**
 * The REST API byte for byte as Confluent documents it: every endpoint's status, content type
 * and body; every error code; and bad input (malformed JSON, invalid schema, incompatible
 * version, unknown subject/version/id, wrong body) answered with its code while the stored
 * state stays as it was.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const CT = 'application/vnd.schemaregistry.v1+json';
const V1 = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });
const V2 = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: '' }] });
const BAD_V = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] });

interface Answer {
  status: number;
  type: string | null;
  body: unknown;
}

function client(url: string) {
  return async (method: string, path: string, body?: unknown, raw?: string): Promise<Answer> => {
    const res = await fetch(url + path, {
      method,
      headers: { 'content-type': CT, accept: CT },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // raw text
    }
    return { status: res.status, type: res.headers.get('content-type'), body: parsed };
  };
}

async function open(): Promise<{ skein: Skein; call: ReturnType<typeof client> }> {
  const skein = await Skein.open({ dir: join(tempDir(), 'data') });
  const server = await skein.serveSchemaRegistry({ port: 0 });
  return { skein, call: client(server.url) };
}

/** Everything observable about the stored state, to compare before and after bad input. */
async function snapshot(call: ReturnType<typeof client>): Promise<unknown> {
  const subjects = (await call('GET', '/subjects?deleted=true')).body as string[];
  const out: Record<string, unknown> = { subjects, config: (await call('GET', '/config')).body, mode: (await call('GET', '/mode')).body };
  for (const s of subjects) {
    const versions = (await call('GET', `/subjects/${s}/versions?deleted=true`)).body as number[];
    out[s] = await Promise.all(versions.map(async (v) => (await call('GET', `/subjects/${s}/versions/${v}?deleted=true`)).body));
  }
  return out;
}

test('every endpoint answers as Confluent documents it', async () => {
  const { skein, call } = await open();
  try {
    let a = await call('GET', '/subjects');
    assert.equal([a.status, a.type, a.body], [200, CT, []]);
    assert.equal((await call('GET', '/schemas/types')).body, ['AVRO']);
    assert.equal((await call('GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });
    assert.equal((await call('GET', '/mode')).body, { mode: 'READWRITE' });

    a = await call('POST', '/subjects/orders-value/versions', { schema: V1 });
    assert.equal([a.status, a.type, a.body], [200, CT, { id: 1 }]);
    assert.equal((await call('POST', '/subjects/orders-value/versions', { schema: V2 })).body, { id: 2 });
    assert.equal((await call('POST', '/subjects/other/versions', { schema: V1 })).body, { id: 1 }, 'same schema, same id');
    assert.equal((await call('GET', '/subjects')).body, ['orders-value', 'other']);
    assert.equal((await call('GET', '/subjects/orders-value/versions')).body, [1, 2]);
    assert.equal((await call('GET', '/subjects/orders-value/versions/latest')).body, { subject: 'orders-value', version: 2, id: 2, schema: V2 });
    assert.equal((await call('GET', '/subjects/orders-value/versions/-1')).body, { subject: 'orders-value', version: 2, id: 2, schema: V2 });
    assert.equal((await call('GET', '/subjects/orders-value/versions/1/schema')).body, JSON.parse(V1));
    assert.equal((await call('POST', '/subjects/orders-value', { schema: V1 })).body, { subject: 'orders-value', id: 1, version: 1, schema: V1 });
    assert.equal((await call('GET', '/schemas/ids/2')).body, { schema: V2 });
    assert.equal((await call('GET', '/schemas/ids/2/schema')).body, JSON.parse(V2));
    assert.equal((await call('GET', '/schemas/ids/1/versions')).body, [
      { subject: 'orders-value', version: 1 },
      { subject: 'other', version: 1 },
    ]);
    assert.equal((await call('POST', '/compatibility/subjects/orders-value/versions/latest', { schema: BAD_V })).body, { is_compatible: false });
    assert.equal((await call('POST', '/compatibility/subjects/orders-value/versions/1', { schema: V2 })).body, { is_compatible: true });

    assert.equal((await call('PUT', '/config', { compatibility: 'FULL' })).body, { compatibility: 'FULL' });
    assert.equal((await call('GET', '/config')).body, { compatibilityLevel: 'FULL' });
    a = await call('GET', '/config/orders-value');
    assert.equal([a.status, (a.body as { error_code: number }).error_code], [404, 40408]);
    assert.equal((await call('GET', '/config/orders-value?defaultToGlobal=true')).body, { compatibilityLevel: 'FULL' });
    assert.equal((await call('PUT', '/config/orders-value', { compatibility: 'NONE' })).body, { compatibility: 'NONE' });
    assert.equal((await call('GET', '/config/orders-value')).body, { compatibilityLevel: 'NONE' });
    assert.equal((await call('POST', '/subjects/orders-value/versions', { schema: BAD_V })).body, { id: 3 }, 'NONE accepts anything');
    assert.equal((await call('DELETE', '/config/orders-value')).body, { compatibilityLevel: 'NONE' });
    assert.equal((await call('DELETE', '/config')).body, { compatibilityLevel: 'FULL' });
    assert.equal((await call('GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });

    // Soft delete, then permanent.
    assert.equal((await call('DELETE', '/subjects/orders-value/versions/3')).body, 3);
    assert.equal((await call('GET', '/subjects/orders-value/versions')).body, [1, 2]);
    assert.equal((await call('GET', '/subjects/orders-value/versions?deleted=true')).body, [1, 2, 3]);
    assert.equal((await call('DELETE', '/subjects/orders-value/versions/3?permanent=true')).body, 3);
    assert.equal((await call('GET', '/subjects/orders-value/versions?deleted=true')).body, [1, 2]);
    a = await call('DELETE', '/subjects/other?permanent=true');
    assert.equal([a.status, (a.body as { error_code: number }).error_code], [404, 40405]);
    assert.equal((await call('DELETE', '/subjects/other')).body, [1]);
    assert.equal((await call('GET', '/subjects')).body, ['orders-value']);
    assert.equal((await call('GET', '/subjects?deleted=true')).body, ['orders-value', 'other']);
    a = await call('DELETE', '/subjects/other');
    assert.equal((a.body as { error_code: number }).error_code, 40404);
    assert.equal((await call('DELETE', '/subjects/other?permanent=true')).body, [1]);
    assert.equal((await call('GET', '/subjects?deleted=true')).body, ['orders-value']);
    assert.equal((await call('GET', '/schemas/ids/1')).body, { schema: V1 }, 'id 1 lives on in orders-value');

    // Modes.
    assert.equal((await call('PUT', '/mode', { mode: 'READONLY' })).body, { mode: 'READONLY' });
    a = await call('POST', '/subjects/x/versions', { schema: V1 });
    assert.equal([a.status, (a.body as { error_code: number }).error_code], [422, 42205]);
    assert.equal((await call('PUT', '/mode', { mode: 'READWRITE' })).body, { mode: 'READWRITE' });
    a = await call('GET', '/mode/x');
    assert.equal((a.body as { error_code: number }).error_code, 40409);
    a = await call('PUT', '/mode', { mode: 'SIDEWAYS' });
    assert.equal([a.status, (a.body as { error_code: number }).error_code], [422, 42204]);
  } finally {
    await skein.close();
  }
});

test('bad input gets its documented code and changes nothing stored', async () => {
  const { skein, call } = await open();
  try {
    await call('POST', '/subjects/s/versions', { schema: V1 });
    await call('POST', '/subjects/s/versions', { schema: V2 });
    const before = await snapshot(call);
    const cases: Array<[string, string, unknown, string | undefined, number, number]> = [
      ['POST', '/subjects/s/versions', undefined, '{"schema": ', 400, 400],
      ['POST', '/subjects/s/versions', undefined, '[1,2]', 422, 42201],
      ['POST', '/subjects/s/versions', { schema: '{"type": "record", "name": "R"}' }, undefined, 422, 42201],
      ['POST', '/subjects/s/versions', { schema: '{"type": "nosuch"}' }, undefined, 422, 42201],
      ['POST', '/subjects/s/versions', { schema: 'not json' }, undefined, 422, 42201],
      ['POST', '/subjects/s/versions', { schema: '' }, undefined, 422, 42201],
      ['POST', '/subjects/s/versions', { schemaa: V1 }, undefined, 422, 42201],
      ['POST', '/subjects/s/versions', { schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int', default: 'x' }] }) }, undefined, 422, 42201],
      ['POST', '/subjects/s/versions', { schema: '{"type":"object"}', schemaType: 'JSON' }, undefined, 422, 42201],
      ['POST', '/subjects/s/versions', { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' }, undefined, 422, 42201],
      ['POST', '/subjects/s/versions', { schema: BAD_V }, undefined, 409, 409],
      ['POST', '/subjects/s/versions', { schema: V1, id: 99 }, undefined, 422, 42205],
      ['GET', '/subjects/nosuch/versions', undefined, undefined, 404, 40401],
      ['GET', '/subjects/nosuch/versions/1', undefined, undefined, 404, 40401],
      ['GET', '/subjects/s/versions/9', undefined, undefined, 404, 40402],
      ['GET', '/subjects/s/versions/zero', undefined, undefined, 422, 42202],
      ['GET', '/subjects/s/versions/0', undefined, undefined, 422, 42202],
      ['GET', '/schemas/ids/77', undefined, undefined, 404, 40403],
      ['GET', '/schemas/ids/abc', undefined, undefined, 404, 40403],
      ['POST', '/subjects/s', { schema: BAD_V }, undefined, 404, 40403],
      ['POST', '/subjects/nosuch', { schema: V1 }, undefined, 404, 40401],
      ['DELETE', '/subjects/nosuch', undefined, undefined, 404, 40401],
      ['DELETE', '/subjects/s/versions/7', undefined, undefined, 404, 40402],
      ['DELETE', '/subjects/s/versions/1?permanent=true', undefined, undefined, 404, 40407],
      ['POST', '/compatibility/subjects/s/versions/5', { schema: V2 }, undefined, 404, 40402],
      ['POST', '/compatibility/subjects/s/versions/latest', { schema: '{' }, undefined, 422, 42201],
      ['PUT', '/config', { compatibility: 'SIDEWAYS' }, undefined, 422, 42203],
      ['PUT', '/config/s', { compatibilityLevel: 'FULL' }, undefined, 422, 42203],
      ['GET', '/nowhere', undefined, undefined, 404, 404],
      ['PATCH', '/subjects', undefined, undefined, 405, 405],
    ];
    for (const [method, path, body, raw, status, errorCode] of cases) {
      const a = await call(method, path, body, raw);
      assert.is(a.status, status, `${method} ${path} ${raw ?? JSON.stringify(body)}: ${JSON.stringify(a.body)}`);
      assert.is(a.type, CT);
      const error = a.body as { error_code: number; message: string };
      assert.is(error.error_code, errorCode, `${method} ${path}`);
      assert.type(error.message, 'string');
    }
    assert.equal(await snapshot(call), before);
  } finally {
    await skein.close();
  }
});

test('the embedded registry (no HTTP) gives the same answers', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data') });
  try {
    const registry = await skein.schemaRegistry();
    assert.is(await skein.schemaRegistry(), registry, 'one registry per Skein');
    assert.equal(await registry.register('t-value', V1), { id: 1, version: 1 });
    assert.equal(await registry.register('t-value', V2), { id: 2, version: 2 });
    assert.equal(registry.listVersions('t-value'), [1, 2]);
    assert.is(registry.getVersion('t-value', 'latest').id, 2);
    assert.is(registry.getSchemaById(1).schema, V1);
  } finally {
    await skein.close();
  }
});

test.run();
