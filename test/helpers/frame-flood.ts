/**
 * The frame flood of issue 8: `connections` raw sockets each announce a frame of `frameBytes`
 * and send `sendBytes` of it (never the rest), pacing writes on 'drain' so this process holds
 * no more than the kernel does. Meanwhile the broker's RSS is sampled from /proc/<pid>/status.
 * Resolves once every socket has sent all it meant to or has been stalled (no drain) for
 * `stallMs`: the broker stopped reading it. Used by a test and by bench/.
 */
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';

export interface FloodResult {
  sockets: Socket[];
  peakRssBytes: number;
  /** Sockets that sent everything they meant to. */
  finished: number;
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

export async function floodFrames(options: { port: number; pid: number; connections: number; frameBytes: number; sendBytes: number; stallMs?: number; deadlineMs?: number }): Promise<FloodResult> {
  const { port, pid, connections, frameBytes, sendBytes } = options;
  const stallMs = options.stallMs ?? 1000;
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  const chunk = Buffer.alloc(256 * 1024, 7);
  let peak = rssOf(pid);
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // the broker exited; the caller sees it
    }
  }, 20);
  const states = await Promise.all(
    Array.from({ length: connections }, () => new Promise<{ socket: Socket; sent: number; lastProgress: number; done: boolean }>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve({ socket, sent: 0, lastProgress: Date.now(), done: false }));
      socket.once('error', reject);
    })),
  );
  for (const state of states) {
    state.socket.on('error', () => {});
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(frameBytes);
    state.socket.write(prefix);
    const pump = () => {
      state.lastProgress = Date.now();
      while (state.sent < sendBytes) {
        const n = Math.min(chunk.length, sendBytes - state.sent);
        state.sent += n;
        if (!state.socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return;
      }
      state.done = true;
    };
    state.socket.on('drain', pump);
    pump();
  }
  while (Date.now() < deadline && !states.every((s) => s.done || s.socket.destroyed || Date.now() - s.lastProgress > stallMs)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(sampler);
  peak = Math.max(peak, rssOf(pid));
  return { sockets: states.map((s) => s.socket), peakRssBytes: peak, finished: states.filter((s) => s.done).length };
}
