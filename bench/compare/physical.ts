/**
 * Physical baselines measured in the same run as the systems, so every figure can be read as a
 * fraction of what the machine can do at all:
 *  - memcpy of 16 KiB blocks into fresh pages of a mapped, preallocated file (what an append
 *    into a mapped segment must at least do, page faults included);
 *  - CRC-32C through the addon on 1 MiB buffers (Skein checksums every batch);
 *  - disk write of 1 MiB blocks without fdatasync (page cache) and with fdatasync after each
 *    block (the device), and 4 KiB write + fdatasync (synced commits per second);
 *  - loopback TCP from this process to a Node child that counts the bytes.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { native } from '../../src/native/binding.js';
import { crc32c } from '../../src/native/crc32c.js';

export interface Physical {
  name: string;
  /** Bytes per second, or operations per second where unit says so. */
  value: number;
  unit: 'bytes/s' | 'ops/s';
  detail: string;
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

function memcpyIntoMapping(dir: string, totalBytes: number): Physical {
  const block = Buffer.alloc(16 * 1024, 0x61);
  const path = join(dir, 'memcpy.map');
  const file = new native.MappedFile(path, { create: true, writable: true });
  file.allocate(totalBytes);
  file.map(totalBytes);
  const mapping = file.buffer();
  const count = totalBytes / block.length;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    if (mapping) mapping.set(block, i * block.length);
    else file.write(block, i * block.length);
  }
  const rate = totalBytes / seconds(started);
  file.close();
  rmSync(path);
  return { name: 'memcpy into a mapped file', value: rate, unit: 'bytes/s', detail: `16 KiB blocks into fresh pages, ${totalBytes / 2 ** 20} MiB` };
}

function crc(): Physical {
  const data = Buffer.alloc(1024 * 1024, 0x5a);
  for (let i = 0; i < 64; i++) crc32c(data); // warm-up
  let bytes = 0;
  const started = process.hrtime.bigint();
  do {
    for (let i = 0; i < 64; i++) crc32c(data);
    bytes += 64 * data.length;
  } while (seconds(started) < 0.25);
  return { name: 'CRC-32C (addon)', value: bytes / seconds(started), unit: 'bytes/s', detail: '1 MiB buffers, one core' };
}

function diskWrite(dir: string, totalBytes: number, sync: boolean): Physical {
  const block = Buffer.alloc(1024 * 1024, 0x61);
  const path = join(dir, `write-${sync}.dat`);
  const fd = openSync(path, 'w');
  const started = process.hrtime.bigint();
  for (let written = 0; written < totalBytes; written += block.length) {
    writeSync(fd, block);
    if (sync) fdatasyncSync(fd);
  }
  const rate = totalBytes / seconds(started);
  closeSync(fd);
  rmSync(path);
  return {
    name: sync ? 'disk write + fdatasync' : 'disk write (page cache)',
    value: rate,
    unit: 'bytes/s',
    detail: `1 MiB write() blocks${sync ? ', fdatasync after each' : ', no sync'}, ${totalBytes / 2 ** 20} MiB`,
  };
}

function syncedCommits(dir: string, ms: number): Physical {
  const block = Buffer.alloc(4096, 0x61);
  const path = join(dir, 'commits.dat');
  const fd = openSync(path, 'w');
  let ops = 0;
  const started = process.hrtime.bigint();
  do {
    writeSync(fd, block);
    fdatasyncSync(fd);
    ops += 1;
  } while (seconds(started) * 1000 < ms);
  const rate = ops / seconds(started);
  closeSync(fd);
  rmSync(path);
  return { name: '4 KiB write + fdatasync', value: rate, unit: 'ops/s', detail: `appending, ${Math.round(1e6 / rate)} us per synced commit` };
}

/** A Node child accepts one connection on loopback, counts bytes and answers once all arrived. */
const SINK = `
const net = require('node:net');
const total = Number(process.argv[1]);
const server = net.createServer((socket) => {
  let got = 0;
  socket.on('data', (chunk) => { got += chunk.length; if (got >= total) { socket.end('k'); server.close(); } });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

async function loopbackTcp(totalBytes: number): Promise<Physical> {
  const child = spawn(process.execPath, ['-e', SINK, String(totalBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`loopback sink exited with ${code}`)));
    });
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const block = Buffer.alloc(1024 * 1024, 0x61);
    const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const started = process.hrtime.bigint();
    for (let sent = 0; sent < totalBytes; sent += block.length) {
      if (!socket.write(block)) await new Promise((r) => socket.once('drain', r));
    }
    await answered;
    const rate = totalBytes / seconds(started);
    socket.destroy();
    return { name: 'loopback TCP (Node to Node)', value: rate, unit: 'bytes/s', detail: `1 MiB writes, ${totalBytes / 2 ** 20} MiB, receiver in a child process` };
  } finally {
    child.kill('SIGKILL');
  }
}

/** The best of `rounds`: a baseline states what the machine can do, so noise only lowers it. */
async function best(rounds: number, measure: () => Physical | Promise<Physical>): Promise<Physical> {
  let top: Physical | undefined;
  for (let i = 0; i < rounds; i++) {
    const r = await measure();
    if (!top || r.value > top.value) top = r;
  }
  return { ...top!, detail: `${top!.detail}; best of ${rounds}` };
}

export async function measurePhysical(dir: string, quick: boolean, onDone: (p: Physical) => void): Promise<Physical[]> {
  const mib = quick ? 64 : 512;
  const steps: Array<() => Physical | Promise<Physical>> = [
    () => best(3, () => memcpyIntoMapping(dir, mib * 2 ** 20)),
    () => best(3, () => crc()),
    () => best(3, () => diskWrite(dir, mib * 2 ** 20, false)),
    () => best(3, () => diskWrite(dir, (quick ? 32 : 256) * 2 ** 20, true)),
    () => syncedCommits(dir, quick ? 300 : 2000),
    () => best(3, () => loopbackTcp((quick ? 128 : 1024) * 2 ** 20)),
  ];
  const results: Physical[] = [];
  for (const step of steps) {
    const result = await step();
    results.push(result);
    onDone(result);
  }
  return results;
}
