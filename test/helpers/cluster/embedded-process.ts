/**
 * One embedded broker in its own Node process, as a fleet of services would run Skein: a small
 * script (written to a temp file) calls `Skein.open({ dir, cluster: { nodeId, etcd, listen } })`
 * from this checkout's compiled library, prints `ready <port>` once it listens, and on SIGTERM
 * closes (revoking its lease) and exits 0. SIGKILL is the crash. Children are tracked, so none
 * outlives the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning, signal, track, terminate } from './children.js';
import { tempDir } from '../temp-dir.js';

const LIBRARY = fileURLToPath(new URL('../../../src/index.js', import.meta.url));

const SCRIPT = `
import { Skein } from ${JSON.stringify(LIBRARY)};
const [dir, nodeId, etcd, sessionTimeoutMs, minInsyncReplicas] = process.argv.slice(2);
const skein = await Skein.open({
  dir,
  cluster: {
    nodeId: Number(nodeId),
    etcd,
    sessionTimeoutMs: Number(sessionTimeoutMs),
    replicaLagTimeMaxMs: 3000,
    minInsyncReplicas: Number(minInsyncReplicas),
    listen: { host: '127.0.0.1', port: 0 },
  },
  onWarning: (m) => process.stderr.write('warning: ' + m + '\\n'),
});
process.on('SIGTERM', () => {
  skein.close().then(() => process.exit(0), (err) => { process.stderr.write(String(err) + '\\n'); process.exit(1); });
});
console.log('ready ' + skein.broker.listener.port);
`;

let scriptPath: string | undefined;

function script(): string {
  if (!scriptPath) {
    scriptPath = join(tempDir('skein-embedded-script-'), 'embedded-broker.mjs');
    writeFileSync(scriptPath, SCRIPT);
  }
  return scriptPath;
}

export class EmbeddedProcess {
  readonly nodeId: number;
  port = 0;
  private child: ChildProcess | undefined;
  private log = '';

  constructor(nodeId: number, private readonly dir: string, private readonly etcd: string, private readonly sessionTimeoutMs = 2000, private readonly minInsyncReplicas = 2) {
    this.nodeId = nodeId;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.child && isRunning(this.child);
  }

  output(): string {
    return this.log;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const child = track(
      spawn(process.execPath, [script(), this.dir, String(this.nodeId), this.etcd, String(this.sessionTimeoutMs), String(this.minInsyncReplicas)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`embedded broker ${this.nodeId} not ready within ${timeoutMs} ms: ${this.log.slice(-1500)}`));
      }, timeoutMs);
      const keep = (chunk: Buffer) => {
        this.log = (this.log + chunk.toString()).slice(-10_000);
        const m = /ready (\d+)/.exec(this.log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-10_000)));
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`embedded broker ${this.nodeId} exited (${code ?? sig}) before ready: ${this.log.slice(-1500)}`));
      });
    });
  }

  async kill(): Promise<void> {
    if (this.child) await signal(this.child, 'SIGKILL');
  }

  /** SIGTERM (skein.close()) and the exit code, SIGKILL after `timeoutMs`. */
  async terminate(timeoutMs = 20_000): Promise<number | null> {
    return terminate(this.child, timeoutMs);
  }
}
