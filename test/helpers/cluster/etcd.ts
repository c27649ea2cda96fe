/**
 * A real etcd (Debian's etcd-server, /usr/bin/etcd) for cluster tests: one member on free
 * loopback ports with its own data folder, started and stopped by the test. `stop()` SIGKILLs
 * it (etcd fsyncs its WAL, so a restart on the same folder keeps every key); `restart()` starts
 * it again on the same ports and folder, for the "etcd restarted" fault. Bounded in time: a
 * start that does not answer its health endpoint within `startTimeoutMs` fails and kills it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { track } from './children.js';
import { freePort } from './free-port.js';
import { tempDir } from '../temp-dir.js';

export const ETCD_BINARY = spawnSync('etcd', ['--version'], { encoding: 'utf8' }).status === 0 ? 'etcd' : null;

export interface EtcdServer {
  /** The client URL brokers pass to `--etcd`. */
  readonly url: string;
  readonly dir: string;
  readonly running: boolean;
  /** SIGKILL; resolves once the process is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and folder. */
  restart(): Promise<void>;
  /** Last lines of its output, for failure messages. */
  output(): string;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return false;
    const body = (await response.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

export async function startEtcd(options: { startTimeoutMs?: number } = {}): Promise<EtcdServer> {
  if (!ETCD_BINARY) throw new Error('etcd is not installed (apt-get install etcd-server)');
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const dir = tempDir('skein-etcd-');
  for (let attempt = 0; ; attempt++) {
    const clientPort = await freePort();
    const peerPort = await freePort();
    try {
      return await launch(dir, clientPort, peerPort, startTimeoutMs);
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

async function launch(dir: string, clientPort: number, peerPort: number, startTimeoutMs: number): Promise<EtcdServer> {
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let child: ChildProcess | undefined;
  let log = '';
  const args = [
    '--name', 'skein-test',
    '--data-dir', dir,
    '--listen-client-urls', url,
    '--advertise-client-urls', url,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `skein-test=${peer}`,
    // Small heartbeats keep lease expiry prompt in tests; the log level keeps output small.
    '--heartbeat-interval', '50',
    '--election-timeout', '500',
    '--log-level', 'warn',
  ];
  const start = async () => {
    // Tracked like the brokers, so an etcd never outlives a test process that was killed or failed.
    const proc = track(spawn(ETCD_BINARY!, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    child = proc;
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) break;
      if (await healthy(url)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await kill();
    throw new Error(`etcd did not become healthy at ${url}: ${log.slice(-800)}`);
  };
  const kill = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    await gone;
  };
  running.add(kill);
  await start();
  return {
    url,
    dir,
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    stop: kill,
    restart: async () => {
      await kill();
      await start();
    },
    output: () => log,
  };
}

const running = new Set<() => Promise<void>>();

/** Kills every etcd this process started (call in `after`, and it runs on exit too). */
export async function stopAllEtcd(): Promise<void> {
  await Promise.allSettled([...running].map((kill) => kill()));
}
