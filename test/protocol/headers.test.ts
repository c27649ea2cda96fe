/**
 * src/protocol/request-header.ts and response-header.ts: the hand-written headers agree
 * with codecs generated from Kafka's RequestHeader.json / ResponseHeader.json
 * (test/protocol/generated), and kafkajs's framed requests (protocol/request.js, header v1)
 * parse; flexible API versions use request header v2 and response header v1, except
 * ApiVersions responses (always v0).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { Reader } from '../../src/protocol/codec/reader.js';
import { Writer } from '../../src/protocol/codec/writer.js';
import { FrameDecoder } from '../../src/protocol/framing.js';
import { decodeRequestHeader, encodeRequestHeader, requestHeaderVersion } from '../../src/protocol/request-header.js';
import { decodeResponseHeader, encodeResponseHeader, responseHeaderVersion } from '../../src/protocol/response-header.js';
import { APIS, API_KEYS } from '../../src/protocol/api-keys.js';
import * as requestHeaderSpec from './generated/request-header-spec.js';
import * as responseHeaderSpec from './generated/response-header-spec.js';

const require = createRequire(import.meta.url);

test('header versions follow each API\'s flexible versions; ApiVersions responses always v0', () => {
  assert.is(requestHeaderVersion(API_KEYS.Fetch, 11), 1);
  assert.is(requestHeaderVersion(API_KEYS.Fetch, 12), 2);
  assert.is(requestHeaderVersion(API_KEYS.Metadata, 9), 2);
  assert.is(requestHeaderVersion(API_KEYS.ApiVersions, 2), 1);
  assert.is(requestHeaderVersion(API_KEYS.ApiVersions, 3), 2);
  assert.is(requestHeaderVersion(API_KEYS.ApiVersions, 5), 2, 'unknown ApiVersions versions are flexible');
  assert.is(requestHeaderVersion(API_KEYS.SaslHandshake, 1), 1, 'never flexible');
  assert.is(requestHeaderVersion(7, 0), 0, 'ControlledShutdown v0');
  assert.is(requestHeaderVersion(999, 3), 1, 'unknown APIs parse as v1');
  assert.is(responseHeaderVersion(API_KEYS.ApiVersions, 3), 0);
  assert.is(responseHeaderVersion(API_KEYS.Fetch, 12), 1);
  assert.is(responseHeaderVersion(API_KEYS.Fetch, 11), 0);
  for (const api of APIS) {
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const flexible = api.firstFlexibleVersion !== null && v >= api.firstFlexibleVersion;
      assert.is(requestHeaderVersion(api.apiKey, v), flexible ? 2 : 1, `${api.name} v${v}`);
      assert.is(responseHeaderVersion(api.apiKey, v), flexible && api.name !== 'ApiVersions' ? 1 : 0);
    }
  }
});

const headerArb = fc.record({
  apiKey: fc.oneof(fc.constantFrom(...APIS.map((a) => a.apiKey)), fc.integer({ min: -32768, max: 32767 })),
  apiVersion: fc.integer({ min: -1, max: 20 }),
  correlationId: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  clientId: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
});

test('request headers agree with the codec generated from RequestHeader.json, both ways', () => {
  fc.assert(
    fc.property(headerArb, fc.uint8Array({ maxLength: 8 }), (header, body) => {
      const hv = requestHeaderVersion(header.apiKey, header.apiVersion);
      const expected = { requestApiKey: header.apiKey, requestApiVersion: header.apiVersion, correlationId: header.correlationId, clientId: hv === 0 ? null : header.clientId };
      const ours = new Writer();
      encodeRequestHeader(ours, header);
      const spec = new Writer();
      requestHeaderSpec.encodeRequestHeader(spec, hv, expected);
      const bytes = ours.toBuffer();
      assert.ok(bytes.equals(spec.toBuffer()), 'same bytes as the spec codec');
      const frame = Buffer.concat([bytes, body]);
      const r = new Reader(frame);
      assert.equal(decodeRequestHeader(r), { ...header, clientId: expected.clientId, headerVersion: hv });
      assert.is(r.pos, bytes.length, 'left at the body');
      // Header v0 (ControlledShutdown v0) has no client id: the generated codec gives the
      // field its default, '', where ours says null.
      assert.equal(requestHeaderSpec.decodeRequestHeader(new Reader(frame), hv), hv === 0 ? { ...expected, clientId: '' } : expected);
    }),
    { numRuns: 500, examples: [[{ apiKey: 7, apiVersion: 0, correlationId: 0, clientId: null }, new Uint8Array()]] },
  );
});

test('a v2 request header skips tagged fields; truncated headers are refused with a code', () => {
  const w = new Writer();
  w.writeInt16(API_KEYS.ApiVersions);
  w.writeInt16(3);
  w.writeInt32(77);
  w.writeNullableString('client');
  w.writeUnsignedVarint(1); // one unknown tagged field
  w.writeUnsignedVarint(5);
  w.writeUnsignedVarint(2);
  w.writeInt16(0);
  w.writeInt8(42); // body
  const bytes = w.toBuffer();
  const r = new Reader(bytes);
  assert.equal(decodeRequestHeader(r), { apiKey: 18, apiVersion: 3, correlationId: 77, clientId: 'client', headerVersion: 2 });
  assert.is(r.readInt8(), 42);
  for (let cut = 0; cut < bytes.length - 1; cut++) {
    assert.throws(() => decodeRequestHeader(new Reader(bytes.subarray(0, cut))), (e: Error & { code?: string }) => e.code === 'SKEIN_INVALID_REQUEST', `cut ${cut}`);
  }
});

test('kafkajs\'s framed requests (header v1) parse: frame, then header, then body', async () => {
  const encodeRequest = require('kafkajs/src/protocol/request') as (args: unknown) => Promise<{ buffer: Buffer }>;
  const heartbeat = require('kafkajs/src/protocol/requests/heartbeat/v3/request') as (args: unknown) => unknown;
  const framed = await encodeRequest({
    correlationId: 123456,
    clientId: 'kafkajs-client',
    request: heartbeat({ groupId: 'group', groupGenerationId: 2, memberId: 'member', groupInstanceId: null }),
  });
  const [payload] = new FrameDecoder().push(framed.buffer);
  const r = new Reader(payload!);
  assert.equal(decodeRequestHeader(r), { apiKey: 12, apiVersion: 3, correlationId: 123456, clientId: 'kafkajs-client', headerVersion: 1 });
  assert.is(r.readString(), 'group');
});

test('response headers agree with the codec generated from ResponseHeader.json', () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(0 as const, 1 as const), (correlationId, hv) => {
      const ours = new Writer();
      encodeResponseHeader(ours, hv, correlationId);
      const spec = new Writer();
      responseHeaderSpec.encodeResponseHeader(spec, hv, { correlationId });
      const bytes = ours.toBuffer();
      assert.ok(bytes.equals(spec.toBuffer()));
      assert.is(bytes.length, hv === 0 ? 4 : 5, 'v1 adds only an empty tag buffer');
      assert.is(decodeResponseHeader(new Reader(bytes), hv), correlationId);
    }),
    { numRuns: 200 },
  );
});

test.run();
