/**
 * The fault-injection harness itself (test/helpers/cluster/): the TCP proxy forwards, cuts
 * (bytes held, nothing lost) and heals, delays, and resets; etcd survives a SIGKILL and restart
 * with its keys; a broker process starts, is SIGSTOPped/SIGCONTed and SIGKILLed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { TcpProxy } from '../helpers/cluster/proxy.js';
import { ETCD_BINARY, startEtcd, stopAllEtcd } from '../helpers/cluster/etcd.js';
import { BrokerProcess } from '../helpers/cluster/broker-process.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const it = suite('cluster test harness');

function echoServer(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.pipe(s));
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

function client(port: number): Promise<{ socket: Socket; received: () => string }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect({ host: '127.0.0.1', port }, () => resolve({ socket, received: () => data }));
    socket.on('data', (c) => (data += c.toString()));
    socket.on('error', reject);
  });
}

it.after(async () => {
  await stopAllEtcd();
  cleanupTempDirs();
});

it('the proxy forwards, holds bytes while cut, delivers them on heal, and resets', async () => {
  const echo = await echoServer();
  const proxy = await TcpProxy.listen(echo.port);
  try {
    const c = await client(proxy.port);
    c.socket.write('one;');
    await until(() => c.received() === 'one;', 'echo through the proxy', 5000);
    proxy.cut();
    c.socket.write('two;');
    await new Promise((r) => setTimeout(r, 300));
    assert.is(c.received(), 'one;', 'nothing crosses a cut link');
    const late = await client(proxy.port);
    late.socket.write('late;');
    await new Promise((r) => setTimeout(r, 200));
    assert.is(late.received(), '', 'a new connection over a cut link gets nothing');
    proxy.heal();
    await until(() => c.received() === 'one;two;', 'held bytes delivered after heal', 5000);
    await until(() => late.received() === 'late;', 'the late connection flows after heal', 5000);
    proxy.delayMs = 100;
    c.socket.write('three;');
    await until(() => c.received() === 'one;two;three;', 'delayed bytes arrive', 5000);
    const closed = new Promise<void>((r) => c.socket.once('close', () => r()));
    proxy.reset();
    await within(closed, 5000, 'reset closes client connections');
    late.socket.destroy();
  } finally {
    await proxy.close();
    echo.server.close();
  }
});

it('etcd keeps its keys across a SIGKILL and restart on the same folder', async () => {
  const etcd = await startEtcd();
  const c = new Etcd3({ hosts: etcd.url });
  try {
    await c.put('survives').value('yes');
    await etcd.stop();
    assert.not.ok(etcd.running);
    await etcd.restart();
    assert.is(await within(c.get('survives').string(), 15_000, 'read after restart'), 'yes');
  } finally {
    c.close();
    await etcd.stop();
  }
});

it('a broker process starts behind its proxy, pauses, resumes and dies by SIGKILL', async () => {
  const broker = await BrokerProcess.start({ nodeId: 1, dir: join(tempDir(), 'b1') });
  try {
    assert.ok(broker.running);
    assert.ok(broker.port > 0);
    const c = await client(broker.proxy.port);
    c.socket.destroy();
    broker.pause();
    broker.resume();
    await broker.kill();
    assert.not.ok(broker.running);
    await broker.start();
    assert.ok(broker.running, 'restarts on the same folder');
  } finally {
    await broker.close();
  }
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
