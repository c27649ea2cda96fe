/**
 * The HTTP admin port (`skein serve --http-port`, `skein.listenAdmin()`): off unless asked.
 *
 *   GET /metrics   Prometheus text format (metrics.ts)
 *   GET /health    200 while the process serves HTTP at all (liveness)
 *   GET /ready     200 once the data is loaded and the Kafka listener accepts connections;
 *                  503 before that (start-up, recovery) and from the start of a shutdown
 *   GET /          the web console (console/ at the package root: plain HTML/JS, no build)
 *   GET /api/overview, /api/groups, /api/messages?topic=&partition=&offset=&limit=
 *                  the JSON the console reads
 *
 * Lifecycle: listen() first (so /health answers during a long recovery), attach() a broker
 * and the protocol servers' connection count when they are up (ready), markStopping() at the
 * start of a shutdown, close() last. Binds 127.0.0.1 unless told otherwise. Reads the broker
 * only; never on a data path: request metrics come from the protocol server's observer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '../broker/broker.js';
import { SkeinError } from '../errors.js';
import { browse, groups, topics } from './broker-view.js';
import { BrokerMetrics } from './metrics.js';

export interface AdminServerOptions {
  host?: string;
  /** 0: any free port. */
  port: number;
}

export interface AdminSource {
  broker: Broker;
  connections(): number;
}

type State = 'starting' | 'ready' | 'stopping';

const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/console.js': 'console.js',
  '/console.css': 'console.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** console/ at the package root, from dist/admin or out/src/admin. */
function consoleDir(): string {
  for (const up of ['../../console', '../../../console']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return fileURLToPath(new URL('../../console', import.meta.url));
}

export class AdminServer {
  readonly host: string;
  readonly port: number;
  private readonly server: Server;
  private state: State = 'starting';
  private source: AdminSource | undefined;
  private metricsOf: BrokerMetrics | undefined;
  private readonly staticDir = consoleDir();
  private closing: Promise<void> | undefined;

  private constructor(server: Server, host: string, port: number) {
    this.server = server;
    this.host = host;
    this.port = port;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, 'text/plain', `${(err as Error).message}\n`);
        else res.destroy();
      });
    });
  }

  static async listen(options: AdminServerOptions): Promise<AdminServer> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new SkeinError('SKEIN_IO_ERROR', `cannot listen on ${host}:${options.port} for HTTP: ${err.code === 'EADDRINUSE' ? 'the address is already in use' : err.message}`, {
            cause: err,
            errno: err.code,
          }),
        ),
      );
      server.listen({ host, port: options.port }, () => resolve());
    });
    return new AdminServer(server, host, (server.address() as AddressInfo).port);
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** The metrics once attached (for the protocol servers' observer). */
  get metrics(): BrokerMetrics | undefined {
    return this.metricsOf;
  }

  /** Data loaded, Kafka listener up: /ready turns 200. Returns the metrics to observe requests with. */
  attach(source: AdminSource): BrokerMetrics {
    this.source = source;
    this.metricsOf ??= new BrokerMetrics(source);
    if (this.state === 'starting') this.state = 'ready';
    return this.metricsOf;
  }

  /** A shutdown began: /ready turns 503 (load balancers stop sending work). */
  markStopping(): void {
    this.state = 'stopping';
  }

  close(): Promise<void> {
    this.state = 'stopping';
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n');
    switch (url.pathname) {
      case '/health':
        return sendJson(res, 200, { status: 'up', state: this.state });
      case '/ready':
        return sendJson(res, this.state === 'ready' ? 200 : 503, { ready: this.state === 'ready', state: this.state });
      case '/metrics': {
        if (!this.metricsOf) return send(res, 503, 'text/plain', 'starting: no broker yet\n');
        const body = await this.metricsOf.registry.metrics();
        return send(res, 200, this.metricsOf.registry.contentType, body);
      }
      case '/api/overview':
        return this.withBroker(res, (broker) =>
          sendJson(res, 200, {
            time: Date.now(),
            topics: topics(broker),
            // Cumulative per topic: the console charts rates from successive polls.
            traffic: Object.fromEntries(this.metricsOf?.topicTotals ?? []),
            connections: this.source?.connections() ?? 0,
          }),
        );
      case '/api/groups':
        return this.withBroker(res, (broker) => sendJson(res, 200, { groups: groups(broker) }));
      case '/api/messages':
        return this.withBroker(res, async (broker) => {
          const topic = url.searchParams.get('topic') ?? '';
          const partition = Number(url.searchParams.get('partition') ?? '0');
          const offset = Number(url.searchParams.get('offset') ?? '0');
          const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? '50'), 1), 500);
          if (!broker.hasTopic(topic)) return sendJson(res, 404, { error: `no topic ${topic}` });
          if (!Number.isInteger(partition) || partition < 0 || partition >= broker.partitionCount(topic)) return sendJson(res, 404, { error: `topic ${topic} has no partition ${partition}` });
          if (!Number.isSafeInteger(offset)) return sendJson(res, 400, { error: 'offset must be an integer' });
          return sendJson(res, 200, { topic, partition, ...(await browse(broker, topic, partition, offset, limit)) });
        });
      default: {
        const file = STATIC[url.pathname];
        if (!file) return send(res, 404, 'text/plain', 'not found\n');
        const body = await readFile(join(this.staticDir, file));
        return send(res, 200, TYPES[file.split('.').pop()!]!, body);
      }
    }
  }

  private async withBroker(res: ServerResponse, work: (broker: Broker) => unknown): Promise<void> {
    const broker = this.source?.broker;
    if (!broker || broker.closed) return sendJson(res, 503, { error: this.state });
    await work(broker);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', JSON.stringify(value));
}
