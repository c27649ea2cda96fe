/**
 * One real broker process for cluster tests: `skein serve` from this checkout's compiled CLI
 * (out/test/cli/helpers/launch.js), with its own data folder, behind its own TcpProxy (the
 * broker advertises the proxy's port, so every client and peer reaches it through the proxy
 * and a test can cut its links). SIGKILL, SIGSTOP/SIGCONT and restart on the same folder.
 *
 * `start()` resolves when the broker printed its "skein listening on" line and fails (killing
 * the process) if that takes longer than `startTimeoutMs` or the process exits first, with the
 * output in the message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isRunning, signal, track, terminate } from './children.js';
import { TcpProxy } from './proxy.js';

const LAUNCH = fileURLToPath(new URL('../../cli/helpers/launch.js', import.meta.url));

export interface BrokerProcessOptions {
  nodeId: number;
  dir: string;
  /** etcd client URL(s), comma separated; omitted = a lone broker. */
  etcd?: string;
  /** Extra `skein serve` arguments (e.g. ['--session-timeout-ms', '2000']). */
  args?: string[];
  startTimeoutMs?: number;
  /** Extra environment (e.g. LD_PRELOAD of libfaketime). */
  env?: Record<string, string>;
}

function serveArgs(options: BrokerProcessOptions, advertisedPort: number): string[] {
  return [
    LAUNCH, 'serve',
    '--node-id', String(options.nodeId),
    '--host', '127.0.0.1', '--port', '0',
    '--advertised-host', '127.0.0.1', '--advertised-port', String(advertisedPort),
    '--dir', options.dir,
    ...(options.etcd ? ['--etcd', options.etcd] : []),
    ...(options.args ?? []),
  ];
}

export interface RefusedStart {
  /** The exit code (null if it had to be killed). */
  code: number | null;
  output: string;
  /** True when it started listening instead of refusing (it is then SIGKILLed). */
  listened: boolean;
}

/**
 * Runs `skein serve` with `options` where it is expected to refuse to start: resolves with its
 * exit code and output once it exits, or (killing it) if it listens after all or is still
 * running after `timeoutMs`.
 */
export function startExpectingRefusal(options: BrokerProcessOptions, timeoutMs = 30_000): Promise<RefusedStart> {
  const child = track(spawn(process.execPath, serveArgs(options, 1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } }));
  let output = '';
  let listened = false;
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!listened && /skein listening on/.test(output)) {
        listened = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, listened });
    });
  });
}

export class BrokerProcess {
  readonly nodeId: number;
  readonly dir: string;
  /** Clients and peers connect here. */
  readonly proxy: TcpProxy;
  /** The port the broker itself bound (changes on restart). */
  port = 0;
  private child: ChildProcess | undefined;
  private log = '';
  private readonly options: BrokerProcessOptions;

  private constructor(options: BrokerProcessOptions, proxy: TcpProxy) {
    this.options = options;
    this.nodeId = options.nodeId;
    this.dir = options.dir;
    this.proxy = proxy;
  }

  static async start(options: BrokerProcessOptions): Promise<BrokerProcess> {
    const broker = new BrokerProcess(options, await TcpProxy.listen());
    try {
      await broker.start();
    } catch (err) {
      // A broker that never started must not leave its proxy holding the test process open.
      await broker.close();
      throw err;
    }
    return broker;
  }

  /** The options it starts with (node id, folder, etcd, arguments, environment). */
  get startOptions(): BrokerProcessOptions {
    return this.options;
  }

  /** What clients put in their broker list. */
  get bootstrap(): string {
    return this.proxy.address;
  }

  get running(): boolean {
    return !!this.child && isRunning(this.child);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`broker ${this.nodeId} is already running`);
    const args = serveArgs(this.options, this.proxy.port);
    const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.options.env } }));
    this.child = child;
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    const port = await new Promise<number>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => fail(new Error(`broker ${this.nodeId} did not start within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${err.message}\n${this.log.slice(-2000)}`));
      };
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        this.log = (this.log + text).slice(-20_000);
        seen += text;
        const match = /skein listening on [^:\s]+:(\d+)/.exec(seen);
        if (match) {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve(Number(match[1]));
        }
      };
      const onExit = (code: number | null, sig: string | null) => fail(new Error(`broker ${this.nodeId} exited (${code ?? sig}) before listening`));
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => {
        this.log = (this.log + chunk.toString()).slice(-20_000);
      });
      child.once('exit', onExit);
    });
    this.port = port;
    this.proxy.setTarget(port);
  }

  /** SIGKILL; resolves once the process is gone. The proxy stays, dropping its connections. */
  async kill(): Promise<void> {
    if (this.child) await signal(this.child, 'SIGKILL');
    this.proxy.reset();
  }

  pause(): void {
    if (this.child) void signal(this.child, 'SIGSTOP');
  }

  resume(): void {
    if (this.child) void signal(this.child, 'SIGCONT');
  }

  /** SIGTERM and wait for the exit code (a controlled shutdown), bounded by `timeoutMs`. */
  async terminate(timeoutMs = 20_000): Promise<number | null> {
    return terminate(this.child, timeoutMs);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async close(): Promise<void> {
    await this.kill();
    await this.proxy.close();
  }
}
