/**
 * A bare Kafka connection for server tests: writes request frames built with the project's
 * codecs (or any bytes at all) and hands back response frames in the order they arrive, so a
 * test can check correlation ids, response headers and bodies byte by byte, and see exactly
 * when the server closes the connection.
 */
import { connect, type Socket } from 'node:net';
import { Reader } from '../../../../src/protocol/codec/reader.js';
import { Writer } from '../../../../src/protocol/codec/writer.js';
import { FrameDecoder, encodeFrame } from '../../../../src/protocol/framing.js';
import { encodeRequestHeader } from '../../../../src/protocol/request-header.js';
import { decodeResponseHeader, responseHeaderVersion } from '../../../../src/protocol/response-header.js';

export class RawClient {
  readonly socket: Socket;
  /** Resolves when the server (or we) closed the connection. */
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private readonly frames: Buffer[] = [];
  private readonly waiting: Array<(frame: Buffer | null) => void> = [];
  private isClosed = false;
  private nextCorrelationId = 1;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        const waiter = this.waiting.shift();
        if (waiter) waiter(frame);
        else this.frames.push(frame);
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        for (const waiter of this.waiting.splice(0)) waiter(null);
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Writes one request; returns its correlation id. */
  send(apiKey: number, apiVersion: number, writeBody: (w: Writer) => void, correlationId = this.nextCorrelationId++, clientId: string | null = 'raw-client'): number {
    this.write(requestFrame(apiKey, apiVersion, writeBody, correlationId, clientId));
    return correlationId;
  }

  write(bytes: Buffer | Buffer[]): void {
    if (this.isClosed) return;
    if (Array.isArray(bytes)) for (const b of bytes) this.socket.write(b);
    else this.socket.write(bytes);
  }

  /** The next response frame (payload without its size), or null once the connection closed. */
  nextFrame(): Promise<Buffer | null> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Sends a request and reads its response: correlation id and the decoded body. */
  async request<T>(apiKey: number, apiVersion: number, writeBody: (w: Writer) => void, decodeBody: (r: Reader, version: number) => T): Promise<{ correlationId: number; body: T }> {
    const sent = this.send(apiKey, apiVersion, writeBody);
    const frame = await this.nextFrame();
    if (!frame) throw new Error(`connection closed before the response to API ${apiKey} v${apiVersion}`);
    const reader = new Reader(frame);
    const correlationId = decodeResponseHeader(reader, responseHeaderVersion(apiKey, apiVersion));
    if (correlationId !== sent) throw new Error(`response correlation id ${correlationId}, expected ${sent}`);
    return { correlationId, body: decodeBody(reader, apiVersion) };
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }
}

/** One request frame (size prefix included) as a single Buffer. */
export function requestFrame(apiKey: number, apiVersion: number, writeBody: (w: Writer) => void, correlationId: number, clientId: string | null = 'raw-client'): Buffer {
  const chunks = encodeFrame((w) => {
    encodeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId });
    writeBody(w);
  });
  return Buffer.concat(chunks);
}

/** Reads a response frame's correlation id (header v0 or v1 share its first 4 bytes). */
export function correlationIdOf(frame: Buffer): number {
  return frame.readInt32BE(0);
}
