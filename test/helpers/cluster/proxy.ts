/**
 * A TCP proxy on a free loopback port in front of one address: the fault injector for a link.
 * Tests put one in front of each broker (every client and peer reaches that broker through it,
 * because the broker advertises the proxy's port) and one between each broker and etcd.
 *
 * - `cut()`: a network partition. Bytes stop flowing both ways on existing connections (the
 *   proxy stops reading, so TCP back-pressure holds the senders, as with a dead link) and new
 *   connections are accepted but never forwarded. `heal()` lets everything flow again.
 * - `cutOneWay('in' | 'out')`: only one direction stops (`in` = towards the target).
 * - `reset()`: destroys every connection (a peer restart seen from the network).
 * - `delayMs`: every chunk waits that long before it is forwarded (order kept).
 * The target can be set after the proxy listens (`setTarget`), so a broker can be told to
 * advertise the proxy's port before it starts.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

type Direction = 'in' | 'out';

interface Link {
  client: Socket;
  upstream: Socket | undefined;
  /** Chunks held while a direction is cut or before upstream connects. */
  pending: Record<Direction, Buffer[]>;
}

export class TcpProxy {
  readonly port: number;
  delayMs = 0;
  private targetPort: number | undefined;
  private readonly server: Server;
  private readonly links = new Set<Link>();
  private blocked: Record<Direction, boolean> = { in: false, out: false };
  private closed = false;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
    server.on('connection', (socket) => this.accept(socket));
  }

  static listen(targetPort?: number): Promise<TcpProxy> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
        if (targetPort !== undefined) proxy.setTarget(targetPort);
        resolve(proxy);
      });
    });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  setTarget(port: number): void {
    this.targetPort = port;
  }

  cut(): void {
    this.blocked = { in: true, out: true };
    this.pauseAll();
  }

  cutOneWay(direction: Direction): void {
    this.blocked[direction] = true;
    this.pauseAll();
  }

  heal(): void {
    this.blocked = { in: false, out: false };
    for (const link of this.links) {
      this.ensureUpstream(link);
      this.flush(link, 'in');
      this.flush(link, 'out');
      link.client.resume();
      link.upstream?.resume();
    }
  }

  reset(): void {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream?.destroy();
    }
    this.links.clear();
  }

  close(): Promise<void> {
    this.closed = true;
    this.reset();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private pauseAll(): void {
    for (const link of this.links) {
      if (this.blocked.in) link.client.pause();
      if (this.blocked.out) link.upstream?.pause();
    }
  }

  private accept(client: Socket): void {
    if (this.closed) {
      client.destroy();
      return;
    }
    const link: Link = { client, upstream: undefined, pending: { in: [], out: [] } };
    this.links.add(link);
    client.setNoDelay(true);
    client.on('data', (chunk) => this.forward(link, 'in', chunk));
    const drop = () => {
      this.links.delete(link);
      client.destroy();
      link.upstream?.destroy();
    };
    client.on('error', drop);
    client.on('close', drop);
    if (this.blocked.in) client.pause();
    this.ensureUpstream(link);
  }

  private ensureUpstream(link: Link): void {
    if (link.upstream || this.targetPort === undefined || (this.blocked.in && this.blocked.out)) return;
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    link.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('data', (chunk) => this.forward(link, 'out', chunk));
    upstream.on('connect', () => this.flush(link, 'in'));
    const drop = () => {
      this.links.delete(link);
      link.client.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop);
    upstream.on('close', drop);
    if (this.blocked.out) upstream.pause();
  }

  private forward(link: Link, direction: Direction, chunk: Buffer): void {
    link.pending[direction].push(chunk);
    if (this.delayMs > 0) {
      setTimeout(() => this.flush(link, direction), this.delayMs);
    } else {
      this.flush(link, direction);
    }
  }

  private flush(link: Link, direction: Direction): void {
    if (this.blocked[direction]) return;
    const to = direction === 'in' ? link.upstream : link.client;
    if (!to || to.connecting || to.destroyed) return;
    for (const chunk of link.pending[direction].splice(0)) to.write(chunk);
  }
}
