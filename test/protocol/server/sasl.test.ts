/**
 * SASL/PLAIN: kafkajs, kcat (librdkafka) and @platformatic/kafka log in and work; a wrong
 * password is refused; nothing but ApiVersions and the handshake is served before the login;
 * the v0 handshake's bare-token exchange; other mechanisms refused with the enabled list; and
 * a server without SASL refuses handshakes with an empty list.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { Skein, type Listener } from '../../../src/client/skein.js';
import { KAFKA_ERRORS } from '../../../src/protocol/error-codes.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../../../src/protocol/messages/api-versions.js';
import { decodeMetadataResponse, encodeMetadataRequest } from '../../../src/protocol/messages/metadata.js';
import { decodeSaslHandshakeResponse, encodeSaslHandshakeRequest } from '../../../src/protocol/messages/sasl-handshake.js';
import { decodeSaslAuthenticateResponse, encodeSaslAuthenticateRequest } from '../../../src/protocol/messages/sasl-authenticate.js';
import { cleanupTempDirs, tempDir } from '../../helpers/temp-dir.js';
import { RawClient } from './helpers/raw-client.js';

const { Kafka, logLevel } = kafkajs;
const USERS = { alice: 'wonderland', bob: 'b0b' };
const plainToken = (user: string, password: string, authzid = '') => Buffer.from(`${authzid}\u0000${user}\u0000${password}`);

let skein: Skein;
let listener: Listener;

test.before(async () => {
  skein = await Skein.open({ dir: join(tempDir('skein-sasl-'), 'data'), groupInitialRebalanceDelayMs: 0 });
  listener = await skein.listen({ port: 0, sasl: { plain: { users: USERS } }, log: () => {} });
});

test.after(async () => {
  await skein.close();
  cleanupTempDirs();
});

test('kafkajs logs in with PLAIN, produces and consumes; a wrong password is refused', async () => {
  const kafka = new Kafka({ clientId: 'sasl', brokers: [listener.bootstrap], sasl: { mechanism: 'plain', username: 'alice', password: 'wonderland' }, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'secured', messages: [{ key: 'k', value: 'v1' }, { key: 'k', value: 'v2' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'sasl-group', maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'secured', fromBeginning: true });
  const got: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
  const deadline = Date.now() + 30_000;
  while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await consumer.disconnect();
  assert.equal(got, ['v1', 'v2']);

  const intruder = new Kafka({ clientId: 'sasl-bad', brokers: [listener.bootstrap], sasl: { mechanism: 'plain', username: 'alice', password: 'guess' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = intruder.admin();
  const refused = await admin.connect().then(
    () => null,
    (err: Error) => err,
  );
  assert.ok(refused, 'the login failed');
  assert.match(refused!.name, /SASL/);
});

test('@platformatic/kafka logs in with PLAIN (SaslAuthenticate v2) and produces', async () => {
  const sasl = { mechanism: 'PLAIN' as const, username: 'bob', password: 'b0b' };
  const admin = new Admin({ clientId: 'plt-sasl', bootstrapBrokers: [listener.bootstrap], sasl });
  await admin.createTopics({ topics: ['plt-secured'], partitions: 1, replicas: 1 });
  await admin.close();
  const producer = new Producer({ clientId: 'plt-sasl', bootstrapBrokers: [listener.bootstrap], sasl, serializers: stringSerializers });
  await producer.send({ messages: [{ topic: 'plt-secured', key: 'a', value: 'b' }] });
  await producer.close();
  assert.is(skein.broker.offsets('plt-secured', 0).highWatermark, 1);
});

const KCAT = spawnSync('kcat', ['-V']).status === 0;
(KCAT ? test : test.skip)('kcat (librdkafka: SaslHandshake v1 + SaslAuthenticate v0) logs in; a wrong password fails', async () => {
  const kcat = (args: string[], input?: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn('kcat', ['-b', listener.bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000); // a hang detector only
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
      child.stdin.end(input ?? '');
    });
  const produced = await kcat(['-X', 'sasl.username=alice', '-X', 'sasl.password=wonderland', '-P', '-t', 'kcat-secured'], 'one\ntwo\n');
  assert.is(produced.code, 0, produced.err);
  const consumed = await kcat(['-X', 'sasl.username=alice', '-X', 'sasl.password=wonderland', '-C', '-t', 'kcat-secured', '-e', '-o', 'beginning', '-q']);
  assert.is(consumed.code, 0, consumed.err);
  assert.equal(consumed.out.split('\n').filter(Boolean).sort(), ['one', 'two']);
  const refused = await kcat(['-X', 'sasl.username=alice', '-X', 'sasl.password=nope', '-L', '-m', '3']);
  assert.is.not(refused.code, 0);
  assert.match(refused.err, /Authentication failed|SASL/i);
});
if (!KCAT) console.log('kcat is not installed (apt-get install kcat): skipping its SASL test');

test('before the login only ApiVersions and the handshake are served; anything else closes the connection', async () => {
  const client = await RawClient.connect(listener.port);
  const versions = await client.request(18, 3, (w) => encodeApiVersionsRequest(w, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }), decodeApiVersionsResponse);
  assert.is(versions.body.errorCode, 0);
  client.send(3, 1, (w) => encodeMetadataRequest(w, 1, { topics: null }));
  assert.is(await client.nextFrame(), null, 'closed without an answer');
});

test('a handshake for another mechanism is refused with the enabled list', async () => {
  const client = await RawClient.connect(listener.port);
  const { body } = await client.request(17, 1, (w) => encodeSaslHandshakeRequest(w, 1, { mechanism: 'SCRAM-SHA-256' }), decodeSaslHandshakeResponse);
  assert.is(body.errorCode, KAFKA_ERRORS.UNSUPPORTED_SASL_MECHANISM);
  assert.equal(body.mechanisms, ['PLAIN']);
  await client.close();
});

test('handshake v1 + SaslAuthenticate: success opens the connection; failure answers 58 and closes', async () => {
  const good = await RawClient.connect(listener.port);
  assert.is((await good.request(17, 1, (w) => encodeSaslHandshakeRequest(w, 1, { mechanism: 'PLAIN' }), decodeSaslHandshakeResponse)).body.errorCode, 0);
  const ok = await good.request(36, 1, (w) => encodeSaslAuthenticateRequest(w, 1, { authBytes: plainToken('bob', 'b0b', 'bob') }), decodeSaslAuthenticateResponse);
  assert.is(ok.body.errorCode, 0);
  assert.is(ok.body.sessionLifetimeMs, 0);
  const metadata = await good.request(3, 1, (w) => encodeMetadataRequest(w, 1, { topics: null }), decodeMetadataResponse);
  assert.ok(metadata.body.brokers.length === 1);
  await good.close();

  const bad = await RawClient.connect(listener.port);
  await bad.request(17, 1, (w) => encodeSaslHandshakeRequest(w, 1, { mechanism: 'PLAIN' }), decodeSaslHandshakeResponse);
  const no = await bad.request(36, 2, (w) => encodeSaslAuthenticateRequest(w, 2, { authBytes: plainToken('bob', 'wrong') }), decodeSaslAuthenticateResponse);
  assert.is(no.body.errorCode, KAFKA_ERRORS.SASL_AUTHENTICATION_FAILED);
  assert.match(no.body.errorMessage ?? '', 'Authentication failed');
  await bad.closed;

  const impersonator = await RawClient.connect(listener.port);
  await impersonator.request(17, 1, (w) => encodeSaslHandshakeRequest(w, 1, { mechanism: 'PLAIN' }), decodeSaslHandshakeResponse);
  const as = await impersonator.request(36, 0, (w) => encodeSaslAuthenticateRequest(w, 0, { authBytes: plainToken('bob', 'b0b', 'alice') }), decodeSaslAuthenticateResponse);
  assert.is(as.body.errorCode, KAFKA_ERRORS.SASL_AUTHENTICATION_FAILED, 'authzid must be empty or the user itself');
  await impersonator.closed;
});

test('handshake v0: the token travels as a bare frame and is answered with an empty one', async () => {
  const client = await RawClient.connect(listener.port);
  assert.is((await client.request(17, 0, (w) => encodeSaslHandshakeRequest(w, 0, { mechanism: 'PLAIN' }), decodeSaslHandshakeResponse)).body.errorCode, 0);
  const token = plainToken('alice', 'wonderland');
  const frame = Buffer.alloc(4 + token.length);
  frame.writeInt32BE(token.length);
  token.copy(frame, 4);
  client.write(frame);
  const reply = await client.nextFrame();
  assert.equal(reply, Buffer.alloc(0), 'an empty token');
  const metadata = await client.request(3, 1, (w) => encodeMetadataRequest(w, 1, { topics: null }), decodeMetadataResponse);
  assert.is(metadata.body.brokers.length, 1);
  await client.close();

  const wrong = await RawClient.connect(listener.port);
  await wrong.request(17, 0, (w) => encodeSaslHandshakeRequest(w, 0, { mechanism: 'PLAIN' }), decodeSaslHandshakeResponse);
  const bad = plainToken('alice', 'x');
  const badFrame = Buffer.alloc(4 + bad.length);
  badFrame.writeInt32BE(bad.length);
  bad.copy(badFrame, 4);
  wrong.write(badFrame);
  assert.is(await wrong.nextFrame(), null, 'closed');
});

test('a server without SASL refuses handshakes with an empty list and SaslAuthenticate with ILLEGAL_SASL_STATE', async () => {
  const open = await Skein.open({ dir: join(tempDir('skein-sasl-'), 'data') });
  const { port } = await open.listen({ port: 0, log: () => {} });
  const client = await RawClient.connect(port);
  const hs = await client.request(17, 1, (w) => encodeSaslHandshakeRequest(w, 1, { mechanism: 'PLAIN' }), decodeSaslHandshakeResponse);
  assert.is(hs.body.errorCode, KAFKA_ERRORS.UNSUPPORTED_SASL_MECHANISM);
  assert.equal(hs.body.mechanisms, []);
  const auth = await client.request(36, 1, (w) => encodeSaslAuthenticateRequest(w, 1, { authBytes: plainToken('a', 'b') }), decodeSaslAuthenticateResponse);
  assert.is(auth.body.errorCode, KAFKA_ERRORS.ILLEGAL_SASL_STATE);
  await client.closed;
  await open.close();
});

test.run();
