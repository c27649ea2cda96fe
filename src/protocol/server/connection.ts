/**
 * One client connection: bytes in → frames → requests → handlers → responses → bytes out.
 *
 * Owns: the socket, its FrameDecoder, the queue of responses owed, the abort signal of its
 * requests, and the idle timer. Knows nothing of message shapes: the router picks a handler,
 * the handler decodes, handles and encodes. Runs on the event loop; one per socket.
 *
 * Order: requests are handled as they arrive, several at a time (a parked JoinGroup or a
 * long-poll Fetch does not stop a pipelined Produce from reaching the log), but answered
 * strictly in arrival order: each request takes a slot in `queue` when it arrives, and a
 * response is written only when every slot before it is written. Clients match correlation
 * ids and Kafka promises this order. Ready responses are written in one cork/uncork so their
 * chunk lists (with zero-copy record views) leave in one writev. A Produce with acks=0 fills
 * its slot with nothing.
 *
 * Backpressure: reading pauses while `maxInFlightRequests` responses are owed or while the
 * socket's write buffer is full, so a client that pipelines without reading cannot make the
 * server buffer without bound; TCP then pushes back on it.
 *
 * Memory: a frame that spans socket chunks reserves its announced size in the server's
 * FrameMemoryPool (frame-memory.ts) before more of it is read; without room, reading pauses
 * until another connection's frame completes or closes. Before SASL authentication frames are
 * capped at `preAuthMaxFrameBytes` (Kafka: sasl.server.max.receive.size, 512 KiB). A closed
 * connection drops what it held at once.
 *
 * Slow peers: a request must arrive whole within `requestTimeoutMs` of its first byte, or the
 * connection is closed (a peer trickling one byte every 100 ms otherwise outlives the idle
 * timeout forever). Time spent paused by us (pool full) does not count.
 *
 * Failure stays here: a frame above the maximum, a malformed header or body, or an API or
 * version we do not serve closes THIS connection (as the Java broker does), with a warning.
 * A handler that throws or rejects is answered with its API's error response; a socket error
 * or a peer vanishing mid-request ends this connection and aborts its long polls. Nothing
 * a peer sends can throw out of here.
 *
 * Lifecycle: open → (shutdown: stop reading, abort long polls, write what is owed, end) →
 * closed. `destroy` skips the writing. `closed` resolves once the socket has closed.
 */
import type { Socket } from 'node:net';
import type { Broker } from '../../broker/broker.js';
import { SkeinError } from '../../errors.js';
import { Reader } from '../codec/reader.js';
import { toKafkaErrorCode } from '../error-codes.js';
import { FrameDecoder, encodeFrame } from '../framing.js';
import { decodeRequestHeader, type DecodedRequestHeader } from '../request-header.js';
import { encodeResponseHeader, responseHeaderVersion } from '../response-header.js';
import { NO_RESPONSE, type ApiHandler, type RequestContext } from '../handlers/handler.js';
import type { FrameMemoryPool } from './frame-memory.js';
import type { ServerLogger } from './log.js';
import type { ObserverSlot } from './observer.js';
import type { Router } from './router.js';
import { SaslSession, type SaslOptions } from './sasl.js';

export interface ConnectionOptions {
  id: number;
  broker: Broker;
  router: Router;
  clusterId: string;
  maxFrameBytes: number;
  /** Largest frame before SASL authentication (only when SASL is on). */
  preAuthMaxFrameBytes: number;
  /** A request must arrive whole within this many ms of its first byte. 0: no limit. */
  requestTimeoutMs: number;
  /** Shared by every connection of the server. */
  framePool: FrameMemoryPool;
  /** connections.max.idle.ms: a connection with nothing owed and no bytes for this long is closed. */
  idleTimeoutMs: number;
  maxInFlightRequests: number;
  /** SASL users; without them every request is allowed from the start. */
  sasl?: SaslOptions;
  log: ServerLogger;
  /** Told about each answered request (metrics); empty unless an admin port observes. */
  observers?: ObserverSlot;
  onClose: (connection: Connection) => void;
}

/** A response owed, in arrival order. `chunks` null: nothing to send (acks=0). */
interface Slot {
  ready: boolean;
  chunks: Buffer[] | null;
}

/** One request on its way to its response. */
interface Exchange {
  slot: Slot;
  handler: ApiHandler<any, any>;
  header: DecodedRequestHeader;
  request: unknown;
  ctx: RequestContext;
  /** performance.now() when handling began; 0 when no observer was set. */
  startedAt: number;
}

type State = 'open' | 'draining' | 'closed';

export class Connection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly closed: Promise<void>;
  private readonly socket: Socket;
  private readonly options: ConnectionOptions;
  private readonly decoder: FrameDecoder;
  private readonly queue: Slot[] = [];
  private readonly abort = new AbortController();
  private readonly sasl: SaslSession;
  private state: State = 'open';
  private waitingForDrain = false;
  /** Bytes reserved in the frame pool for the frame being assembled. */
  private reservedBytes = 0;
  /** Set while reading is paused for want of room in the frame pool: cancels that wait. */
  private cancelRoomWait: (() => void) | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;

  constructor(socket: Socket, options: ConnectionOptions) {
    this.id = options.id;
    this.socket = socket;
    this.options = options;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.sasl = new SaslSession(options.sasl);
    this.decoder = new FrameDecoder({ maxFrameBytes: this.frameLimit() });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.setNoDelay(true);
    if (options.idleTimeoutMs > 0) socket.setTimeout(options.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.updateReading();
    });
    // The server is half-open: a peer that ends its side still gets what it is owed.
    socket.on('end', () => void this.shutdown());
    socket.on('timeout', () => this.onIdle());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.log('debug', 'connection error', { error: err.code ?? err.message });
      socket.destroy();
    });
    socket.on('close', () => this.onClose());
  }

  /** Responses owed (handled or not). */
  get pendingResponses(): number {
    return this.queue.length;
  }

  /**
   * Graceful close: reads no more requests, aborts long polls (they answer at once with what
   * they have), writes every response owed, then ends the socket. Resolves when closed.
   */
  shutdown(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'draining';
      this.socket.pause();
      this.abort.abort();
      if (this.queue.length === 0) this.socket.end();
    }
    return this.closed;
  }

  /** Closes at once; responses owed are dropped. */
  destroy(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.destroy();
  }

  private frameLimit(): number {
    return this.sasl.authenticated ? this.options.maxFrameBytes : Math.min(this.options.maxFrameBytes, this.options.preAuthMaxFrameBytes);
  }

  private onData(chunk: Buffer): void {
    if (this.state !== 'open') return;
    let frames: Buffer[];
    try {
      this.decoder.maxFrameBytes = this.frameLimit();
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.log('warn', 'closing connection: frame refused', { reason: (err as Error).message });
      this.destroy();
      return;
    }
    if (frames.length > 0) this.stopRequestTimer();
    this.reserveForIncompleteFrame();
    for (const frame of frames) {
      if (this.state !== 'open') return;
      this.onFrame(frame);
    }
    this.updateReading();
  }

  /** Keeps the pool reservation equal to the incomplete frame's size (0 for small frames). */
  private reserveForIncompleteFrame(): void {
    const size = this.decoder.incompleteFrameSize;
    const needed = size > this.options.framePool.exemptBytes ? size : 0;
    if (needed !== this.reservedBytes) {
      this.cancelRoomWait?.();
      this.cancelRoomWait = undefined;
      if (this.reservedBytes > 0) this.options.framePool.release(this.reservedBytes);
      this.reservedBytes = 0;
      if (needed > 0 && this.options.framePool.tryReserve(needed)) this.reservedBytes = needed;
      else if (needed > 0) {
        this.log('debug', 'frame pool full: pausing reads', { frameSize: needed, poolUsed: this.options.framePool.used });
        this.cancelRoomWait = this.options.framePool.onRoom(() => {
          this.cancelRoomWait = undefined;
          if (this.state !== 'open') return;
          this.reserveForIncompleteFrame();
          this.updateReading();
        });
      }
    }
    // A request must arrive whole in time; waiting for room in the pool is not the peer's fault.
    const partial = this.decoder.bufferedBytes > 0 || size >= 0;
    if (!partial || this.cancelRoomWait) this.stopRequestTimer();
    else if (!this.requestTimer && this.options.requestTimeoutMs > 0) {
      this.requestTimer = setTimeout(() => this.onRequestTimeout(), this.options.requestTimeoutMs);
      this.requestTimer.unref();
    }
  }

  private stopRequestTimer(): void {
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
  }

  private onRequestTimeout(): void {
    this.requestTimer = undefined;
    if (this.state !== 'open') return;
    this.log('warn', 'closing connection: a request did not arrive whole in time', {
      requestTimeoutMs: this.options.requestTimeoutMs,
      received: this.decoder.bufferedBytes,
      frameSize: this.decoder.incompleteFrameSize,
    });
    this.destroy();
  }

  private onFrame(frame: Buffer): void {
    if (this.sasl.expectsRawToken) {
      this.onRawSaslToken(frame);
      return;
    }
    const reader = new Reader(frame);
    let header: DecodedRequestHeader;
    try {
      header = decodeRequestHeader(reader);
    } catch (err) {
      this.log('warn', 'closing connection: malformed request header', { reason: (err as Error).message });
      this.destroy();
      return;
    }
    if (!this.sasl.allows(header.apiKey)) {
      this.log('warn', 'closing connection: request before SASL authentication', { apiKey: header.apiKey, apiVersion: header.apiVersion });
      this.destroy();
      return;
    }
    const route = this.options.router.route(header.apiKey, header.apiVersion);
    if (route.kind === 'unsupported-api-versions') {
      this.log('debug', 'ApiVersions version not served: answering with v0', { apiVersion: header.apiVersion });
      this.queue.push({ ready: true, chunks: this.options.router.unsupportedApiVersions(header.correlationId) });
      this.flush();
      return;
    }
    if (route.kind === 'close') {
      this.log('warn', 'closing connection: request not served', { reason: route.reason, apiKey: header.apiKey, apiVersion: header.apiVersion });
      this.destroy();
      return;
    }
    const { handler } = route;
    let request: unknown;
    try {
      request = handler.decode(reader, header.apiVersion);
    } catch (err) {
      this.log('warn', 'closing connection: malformed request', { api: handler.name, apiVersion: header.apiVersion, reason: (err as Error).message });
      this.destroy();
      return;
    }
    const slot: Slot = { ready: false, chunks: null };
    this.queue.push(slot);
    const exchange: Exchange = { slot, handler, header, request, ctx: this.context(header), startedAt: this.options.observers?.current ? performance.now() : 0 };
    let result: unknown;
    try {
      result = handler.handle(request, exchange.ctx);
    } catch (err) {
      this.fail(exchange, err);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (response) => this.complete(exchange, response),
        (err: unknown) => this.fail(exchange, err),
      );
    } else {
      this.complete(exchange, result);
    }
  }

  /** After a SaslHandshake v0 the token comes as a bare frame and is answered with a bare (empty) token. */
  private onRawSaslToken(token: Buffer): void {
    const result = this.sasl.authenticate(token);
    if (!result.ok) {
      this.log('warn', 'closing connection: SASL authentication failed', { reason: result.message });
      this.destroy();
      return;
    }
    this.log('debug', 'authenticated', { user: result.user });
    this.queue.push({ ready: true, chunks: [Buffer.alloc(4)] });
    this.flush();
  }

  private context(header: DecodedRequestHeader): RequestContext {
    return {
      broker: this.options.broker,
      apiVersion: header.apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId ?? '',
      clientHost: this.remoteAddress,
      signal: this.abort.signal,
      clusterId: this.options.clusterId,
      servedApis: this.options.router.servedApis,
      sasl: this.sasl,
      closeConnection: (reason) => {
        this.log('info', 'closing connection', { reason });
        void this.shutdown();
      },
    };
  }

  /** Answers with the API's error response; a SkeinError is an answer, anything else a bug to log. */
  private fail(exchange: Exchange, err: unknown): void {
    const { handler, ctx } = exchange;
    if (err instanceof SkeinError) {
      this.log('debug', 'request failed', { api: handler.name, code: err.code, reason: err.message });
    } else {
      this.log('error', 'handler failed', { api: handler.name, apiVersion: ctx.apiVersion, reason: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
    let response: unknown;
    try {
      response = handler.errorResponse(exchange.request, toKafkaErrorCode(err), ctx, err);
    } catch (bug) {
      this.log('error', 'closing connection: no error response', { api: handler.name, reason: (bug as Error).message });
      this.destroy();
      return;
    }
    this.complete(exchange, response, true, toKafkaErrorCode(err));
  }

  private complete(exchange: Exchange, response: unknown, isErrorResponse = false, errorCode = 0): void {
    if (this.state === 'closed') return;
    const { slot, handler, header } = exchange;
    const observer = this.options.observers?.current;
    if (observer && exchange.startedAt > 0) {
      try {
        observer({
          apiKey: header.apiKey,
          api: handler.name,
          apiVersion: header.apiVersion,
          request: exchange.request,
          response: response === NO_RESPONSE ? undefined : response,
          failed: isErrorResponse,
          errorCode,
          seconds: (performance.now() - exchange.startedAt) / 1000,
        });
      } catch {
        // Metrics must never cost an answer.
      }
    }
    if (response !== NO_RESPONSE) {
      try {
        slot.chunks = this.encode(handler, header, response);
      } catch (err) {
        // An encoder refusing our own response is a bug; the error response is the next best answer.
        this.log('error', 'cannot encode response', { api: handler.name, apiVersion: header.apiVersion, reason: (err as Error).message });
        if (isErrorResponse) this.destroy();
        else this.fail(exchange, err);
        return;
      }
    }
    slot.ready = true;
    this.flush();
  }

  private encode(handler: ApiHandler<any, any>, header: DecodedRequestHeader, response: unknown): Buffer[] {
    const headerVersion = responseHeaderVersion(header.apiKey, header.apiVersion);
    return encodeFrame((w) => {
      encodeResponseHeader(w, headerVersion, header.correlationId);
      handler.encode(w, header.apiVersion, response);
    });
  }

  /** Writes every response at the head of the queue that is ready, in one writev. */
  private flush(): void {
    if (this.state === 'closed') return;
    const head = this.queue[0];
    if (head === undefined || !head.ready) return;
    this.socket.cork();
    while (this.queue.length > 0 && this.queue[0]!.ready) {
      const { chunks } = this.queue.shift()!;
      if (chunks) for (const chunk of chunks) this.socket.write(chunk);
    }
    this.socket.uncork();
    if (this.socket.writableNeedDrain) this.waitingForDrain = true;
    if (this.state === 'draining' && this.queue.length === 0) this.socket.end();
    this.updateReading();
  }

  private updateReading(): void {
    if (this.state !== 'open') return;
    const pause = this.waitingForDrain || this.cancelRoomWait !== undefined || this.queue.length >= this.options.maxInFlightRequests;
    if (pause && !this.socket.isPaused()) this.socket.pause();
    else if (!pause && this.socket.isPaused()) this.socket.resume();
  }

  private onIdle(): void {
    // A request still owed (a long poll, a parked join) is activity: only silence counts.
    if (this.state !== 'open' || this.queue.length > 0) return;
    this.log('info', 'closing idle connection', { idleMs: this.options.idleTimeoutMs });
    this.destroy();
  }

  private onClose(): void {
    this.state = 'closed';
    this.abort.abort();
    this.queue.length = 0;
    // Give the memory of an unfinished frame back now, not when the Connection is collected.
    this.stopRequestTimer();
    this.cancelRoomWait?.();
    this.cancelRoomWait = undefined;
    if (this.reservedBytes > 0) this.options.framePool.release(this.reservedBytes);
    this.reservedBytes = 0;
    this.decoder.release();
    this.log('debug', 'connection closed');
    this.options.onClose(this);
    this.resolveClosed();
  }

  private log(level: Parameters<ServerLogger>[0], message: string, fields: Record<string, unknown> = {}): void {
    this.options.log(level, message, { connection: this.id, remote: this.remoteAddress, ...fields });
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
