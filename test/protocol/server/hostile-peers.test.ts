/**
 * Peers that try to exhaust the server: a request trickled one byte at a time outlives no
 * bound (requestTimeoutMs closes it, whatever the idle timeout); before SASL authentication a
 * frame above 512 KiB is refused at its size prefix; eight connections each announcing a
 * 100 MiB frame and sending 95 MiB of it cannot blow up the broker's memory (the frame pool,
 * queued.max.request.bytes), and kafkajs keeps working meanwhile. Real sockets; the flood runs
 * against a broker in a child process so its RSS is the broker's alone.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { Skein } from '../../../src/client/skein.js';
import { Broker } from '../../../src/broker/broker.js';
import { ProtocolServer } from '../../../src/protocol/server/server.js';
import { floodFrames, rssOf } from '../../helpers/frame-flood.js';
import { cleanupTempDirs, tempDir } from '../../helpers/temp-dir.js';
import { withTimeout } from '../../helpers/timeout.js';

const { Kafka, logLevel } = kafkajs;
const MiB = 1024 * 1024;

test.after(cleanupTempDirs);

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves true when the socket closes within `ms`, false otherwise (a bound on a hang, not a timing check). */
function closesWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

test('a request trickled one byte every 100 ms is closed after requestTimeoutMs, though it is never idle', withTimeout(30_000, async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'd') });
  const warnings: string[] = [];
  const listener = await skein.listen({ port: 0, connectionsMaxIdleMs: 1000, requestTimeoutMs: 1500, log: (level, message) => level === 'warn' && warnings.push(message) });
  const socket = await openSocket(listener.port);
  socket.on('error', () => {});
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(10_000);
  socket.write(prefix);
  let sent = 0;
  const trickle = setInterval(() => {
    if (!socket.destroyed) socket.write(Buffer.from([sent++ & 0xff]));
  }, 100);
  const closed = await closesWithin(socket, 15_000);
  clearInterval(trickle);
  assert.ok(closed, 'the trickling connection was closed');
  assert.ok(sent < 10_000, 'before the request arrived whole');
  assert.ok(warnings.includes('closing connection: a request did not arrive whole in time'), warnings.join('; '));
  await skein.close();
}));

test('before SASL authentication, a frame above 512 KiB is refused at its size prefix', withTimeout(20_000, async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'd') });
  const listener = await skein.listen({ port: 0, sasl: { plain: { users: { alice: 'secret' } } }, log: () => {} });
  const socket = await openSocket(listener.port);
  socket.on('error', () => {});
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(513 * 1024);
  socket.write(prefix);
  assert.ok(await closesWithin(socket, 10_000), 'closed without waiting for the body');
  // A peer that logs in may still send large frames (the normal maximum applies after).
  const kafka = new Kafka({ clientId: 'big', brokers: [listener.bootstrap], sasl: { mechanism: 'plain', username: 'alice', password: 'secret' }, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'big', messages: [{ value: Buffer.alloc(600 * 1024, 1) }] });
  await producer.disconnect();
  await skein.close();
}));

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens a socket that announces a frame of `frameBytes` and sends `sendBytes` of it. */
async function partialFrame(port: number, frameBytes: number, sendBytes: number): Promise<Socket> {
  const socket = await openSocket(port);
  socket.on('error', () => {});
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(frameBytes);
  socket.write(Buffer.concat([prefix, Buffer.alloc(sendBytes, 1)]));
  return socket;
}

test('a connection\'s unfinished frame is given back when it closes, and a connection waiting for room proceeds', withTimeout(30_000, async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'd') });
  const server = await ProtocolServer.listen({ broker, port: 0, queuedMaxRequestBytes: 4 * MiB, log: () => {} });
  const first = await partialFrame(server.address.port, 20 * MiB, 2 * MiB);
  await until(() => server.framesInFlight.reservedBytes === 20 * MiB, 'the first frame reserved');
  const second = await partialFrame(server.address.port, 20 * MiB, 2 * MiB);
  await until(() => server.framesInFlight.waitingConnections === 1, 'the second connection waiting for room');
  assert.is(server.framesInFlight.reservedBytes, 20 * MiB, 'the pool is not overdrawn twice');
  first.destroy();
  await until(() => server.framesInFlight.waitingConnections === 0, 'the second connection reading again');
  assert.is(server.framesInFlight.reservedBytes, 20 * MiB, 'the second frame holds the room now');
  second.destroy();
  await until(() => server.framesInFlight.reservedBytes === 0, 'everything given back');
  await server.close();
  await broker.close();
}));

test('eight connections announcing 100 MiB frames leave the broker\'s memory bounded, and kafkajs still works', withTimeout(150_000, async () => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./flood-child.js', import.meta.url)), join(tempDir(), 'd'), JSON.stringify({ queuedMaxRequestBytes: 16 * MiB })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`the broker exited with ${code}`)));
    });
    const before = rssOf(child.pid!);
    const flood = await floodFrames({ port, pid: child.pid!, connections: 8, frameBytes: 100 * MiB, sendBytes: 95 * MiB });
    const growth = flood.peakRssBytes - before;
    console.log(`broker RSS ${Math.round(before / MiB)} MiB before, peak ${Math.round(flood.peakRssBytes / MiB)} MiB under the flood (${flood.finished} of 8 sockets sent all 95 MiB)`);
    // Without the pool all eight frames are held (760 MiB); with it one proceeds, the others wait.
    assert.ok(growth < 350 * MiB, `RSS grew by ${Math.round(growth / MiB)} MiB`);
    assert.ok(flood.finished < 8, 'the broker stopped reading some of the flood');
    const kafka = new Kafka({ clientId: 'during-flood', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'alive', messages: [{ value: 'still here' }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('alive');
    assert.is(offsets[0]!.high, '1');
    await admin.disconnect();
    for (const socket of flood.sockets) socket.destroy();
    assert.is(child.exitCode, null, 'the broker is alive');
  } finally {
    child.stdin.end();
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
  }
}));

test.run();
