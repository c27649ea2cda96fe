/**
 * The Kafka protocol server: a TCP listener in front of one Broker, so that any Kafka client
 * (kafkajs, librdkafka/kcat, @platformatic/kafka, Java) can produce to it and consume from it.
 *
 * Owns: the net.Server, the set of live connections (connection.ts does the per-socket work),
 * the router and the advertised listener (what Metadata and FindCoordinator tell clients to
 * connect to: the bound address unless `advertisedHost` / `advertisedPort` say otherwise,
 * as Kafka's advertised.listeners). Does not own the broker: closing the server leaves it
 * open, and whoever opened the broker closes it after the server.
 *
 * Lifecycle: `ProtocolServer.listen(options)` resolves once bound (port 0 picks a free port;
 * a port in use or an address we cannot bind rejects with SKEIN_IO_ERROR, `errno` set).
 * `close()` is graceful and idempotent: stop accepting, shut every connection down (no new
 * requests read, long polls answered at once, responses owed written), then destroy what is
 * still open after `closeTimeoutMs` (a JoinGroup parked for a rebalance, a peer that does
 * not read). Event loop only.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { Broker } from '../../broker/broker.js';
import { SkeinError } from '../../errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../framing.js';
import { Connection } from './connection.js';
import { FrameMemoryPool } from './frame-memory.js';
import { silentLogger, type ServerLogger } from './log.js';
import { Router } from './router.js';
import type { SaslOptions } from './sasl.js';
import type { ObserverSlot, RequestObserver } from './observer.js';

export interface ProtocolServerOptions {
  broker: Broker;
  /** Address to bind. Default 127.0.0.1 (reachable from this machine only). */
  host?: string;
  /** Default 9092; 0 picks a free port. */
  port?: number;
  /** Host clients are told to connect to. Default: `host`, or this machine's name when `host` is a wildcard. */
  advertisedHost?: string;
  /** Port clients are told to connect to. Default: the bound port. */
  advertisedPort?: number;
  /** Largest request frame (socket.request.max.bytes). Default 100 MiB. */
  maxFrameBytes?: number;
  /**
   * queued.max.request.bytes: memory for request frames still arriving, across every
   * connection; past it, connections needing more stop reading until room frees up.
   * Default 100 MiB.
   */
  queuedMaxRequestBytes?: number;
  /** sasl.server.max.receive.size: largest frame before SASL authentication. Default 512 KiB. */
  saslMaxReceiveBytes?: number;
  /**
   * A request must arrive whole within this many ms of its first byte, or its connection is
   * closed (slow-trickle peers). Default 30000, as Kafka's request.timeout.ms. 0: no limit.
   */
  requestTimeoutMs?: number;
  /** connections.max.idle.ms: silent connections with nothing owed are closed after this. Default 600000 (10 min). */
  connectionsMaxIdleMs?: number;
  /** Responses owed on one connection before it stops reading requests. Default 100. */
  maxInFlightRequestsPerConnection?: number;
  /** How long `close()` waits for connections to finish before destroying them. Default 5000. */
  closeTimeoutMs?: number;
  /**
   * SASL/PLAIN users ({ plain: { users: { alice: 'secret' } } }): clients must then log in
   * before anything but ApiVersions. Default: no authentication.
   */
  sasl?: SaslOptions;
  /** Reported by Metadata v2+. Default 'skein'. */
  clusterId?: string;
  log?: ServerLogger;
  /** Told about every answered request (the admin port's metrics). Also settable later with observe(). */
  observer?: RequestObserver;
}

export interface ServerAddress {
  host: string;
  port: number;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export class ProtocolServer {
  readonly broker: Broker;
  /** Where the server is bound. */
  readonly address: ServerAddress;
  private readonly server: Server;
  private readonly connections: Set<Connection>;
  private readonly framePool: FrameMemoryPool;
  private readonly closeTimeoutMs: number;
  private readonly log: ServerLogger;
  private closing: Promise<void> | undefined;
  private readonly observers: ObserverSlot;

  private constructor(server: Server, broker: Broker, address: ServerAddress, connections: Set<Connection>, framePool: FrameMemoryPool, options: ProtocolServerOptions, observers: ObserverSlot) {
    this.observers = observers;
    this.framePool = framePool;
    this.server = server;
    this.broker = broker;
    this.address = address;
    this.connections = connections;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    this.log = options.log ?? silentLogger;
  }

  /** Binds, sets the broker's advertised listener, and starts accepting connections. */
  static async listen(options: ProtocolServerOptions): Promise<ProtocolServer> {
    const { broker } = options;
    if (!broker) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'ProtocolServer.listen needs { broker }');
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 9092;
    checkPort(port, 'port');
    if (options.advertisedPort !== undefined) checkPort(options.advertisedPort, 'advertisedPort');
    if (options.sasl?.plain && Object.keys(options.sasl.plain.users ?? {}).length === 0) {
      // An empty user list would silently mean "no authentication".
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'sasl.plain.users lists no user');
    }
    const log = options.log ?? silentLogger;
    const router = new Router();
    const connections = new Set<Connection>();
    const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs < 0) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `requestTimeoutMs must be a non-negative integer, got ${String(requestTimeoutMs)}`);
    }
    const preAuthMaxFrameBytes = options.saslMaxReceiveBytes ?? 512 * 1024;
    if (!Number.isSafeInteger(preAuthMaxFrameBytes) || preAuthMaxFrameBytes < 1) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `saslMaxReceiveBytes must be a positive integer, got ${String(preAuthMaxFrameBytes)}`);
    }
    const framePool = new FrameMemoryPool(options.queuedMaxRequestBytes ?? 100 * 1024 * 1024);
    const settings = {
      broker,
      router,
      clusterId: options.clusterId ?? 'skein',
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      preAuthMaxFrameBytes,
      requestTimeoutMs,
      framePool,
      idleTimeoutMs: options.connectionsMaxIdleMs ?? 600_000,
      maxInFlightRequests: options.maxInFlightRequestsPerConnection ?? 100,
      sasl: options.sasl,
      log,
      observers: { current: options.observer } as ObserverSlot,
    };
    let nextId = 1;
    const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
      const connection = new Connection(socket, { ...settings, id: nextId++, onClose: (c) => connections.delete(c) });
      connections.add(connection);
      log('debug', 'connection opened', { connection: connection.id, remote: connection.remoteAddress });
    });
    // An error of the listening socket after bind (rare: EMFILE on accept) must not crash the process.
    server.on('error', (err) => log('error', 'listener error', { reason: err.message }));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          new SkeinError('SKEIN_IO_ERROR', `cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the address is already in use' : err.message}`, {
            cause: err,
            errno: err.code,
            host,
            port,
          }),
        );
      };
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const bound = server.address() as AddressInfo;
    const address = { host, port: bound.port };
    broker.setAdvertisedListener(options.advertisedHost ?? (WILDCARDS.has(host) ? hostname() : host), options.advertisedPort ?? bound.port);
    const listening = new ProtocolServer(server, broker, address, connections, framePool, options, settings.observers);
    const advertised = broker.listener;
    log('info', 'listening', { host, port: bound.port, advertised: `${advertised.host}:${advertised.port}`, sasl: options.sasl?.plain ? 'PLAIN' : 'none' });
    return listening;
  }

  /** The observer told about every answered request, if any. */
  get observer(): RequestObserver | undefined {
    return this.observers.current;
  }

  /** Sets (or with undefined removes) the observer told about every answered request, on open connections too. */
  observe(observer: RequestObserver | undefined): void {
    this.observers.current = observer;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Bytes reserved for requests still arriving (queuedMaxRequestBytes is the cap), and connections waiting for room. */
  get framesInFlight(): { reservedBytes: number; waitingConnections: number } {
    return { reservedBytes: this.framePool.used, waitingConnections: this.framePool.waiters };
  }

  /** Requests read and not yet answered, across connections (long polls, parked joins included). */
  get pendingResponses(): number {
    let n = 0;
    for (const c of this.connections) n += c.pendingResponses;
    return n;
  }

  /** Stops accepting, lets connections finish (bounded by closeTimeoutMs), resolves when all are closed. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      const all = Promise.all([...this.connections].map((c) => c.shutdown()));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.closeTimeoutMs)));
      if ((await Promise.race([all, late])) === 'late') {
        this.log('warn', 'closing connections that did not finish in time', { connections: this.connections.size, closeTimeoutMs: this.closeTimeoutMs });
        for (const c of this.connections) c.destroy();
        await all;
      }
      clearTimeout(timer);
      await stopped;
      this.log('info', 'stopped listening', { host: this.address.host, port: this.address.port });
    })();
    return this.closing;
  }
}

function checkPort(port: number, name: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `${name} must be an integer in [0, 65535], got ${String(port)}`);
  }
}
