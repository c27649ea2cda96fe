/**
 * A minimal Kafka protocol client for the CLI's admin commands (`skein topics ...`): one
 * connection to one broker, one request at a time, built from the same generated codecs the
 * server uses. Deliberately small: no retries, no metadata cache, no pipelining; a command
 * opens it, asks a few questions and closes it.
 */
import { connect, type Socket } from 'node:net';
import { SkeinError } from '../errors.js';
import { Reader } from '../protocol/codec/reader.js';
import type { Writer } from '../protocol/codec/writer.js';
import { FrameDecoder, encodeFrame } from '../protocol/framing.js';
import { encodeRequestHeader } from '../protocol/request-header.js';
import { decodeResponseHeader, responseHeaderVersion } from '../protocol/response-header.js';

export class KafkaConnection {
  private readonly socket: Socket;
  private readonly decoder = new FrameDecoder();
  private pending: { resolve: (frame: Buffer) => void; reject: (err: Error) => void } | undefined;
  private failure: Error | undefined;
  private correlationId = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        const waiter = this.pending;
        this.pending = undefined;
        waiter?.resolve(frame);
      }
    });
    const fail = (err: Error) => {
      this.failure = err;
      this.pending?.reject(err);
      this.pending = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new SkeinError('SKEIN_DISCONNECTED', 'the broker closed the connection')));
  }

  /** Connects to `bootstrap` ("host:port"). */
  static open(bootstrap: string): Promise<KafkaConnection> {
    const at = bootstrap.lastIndexOf(':');
    const host = at > 0 ? bootstrap.slice(0, at) : bootstrap;
    const port = at > 0 ? Number(bootstrap.slice(at + 1)) : 9092;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', onError);
        resolve(new KafkaConnection(socket));
      });
      const onError = (err: NodeJS.ErrnoException) =>
        reject(new SkeinError('SKEIN_DISCONNECTED', `cannot reach a broker at ${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
      socket.once('error', onError);
    });
  }

  /** Sends one request and decodes its response. */
  request<T>(apiKey: number, apiVersion: number, writeBody: (w: Writer) => void, decodeBody: (r: Reader, version: number) => T): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = ++this.correlationId;
    const frame = encodeFrame((w) => {
      encodeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: 'skein-cli' });
      writeBody(w);
    });
    return new Promise<Buffer>((resolve, reject) => {
      this.pending = { resolve, reject };
      for (const chunk of frame) this.socket.write(chunk);
    }).then((response) => {
      const r = new Reader(response);
      const id = decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
      if (id !== correlationId) throw new SkeinError('SKEIN_INVALID_REQUEST', `response ${id} to request ${correlationId}`);
      return decodeBody(r, apiVersion);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
