/**
 * A TCP proxy that makes Skein look like an older Kafka: it lowers the maximum versions in
 * every ApiVersions answer (e.g. Produce ≤ 2, Fetch ≤ 3, as a 0.10.2 broker), so a current
 * client (kcat/librdkafka, kafkajs) picks the old versions and message formats by its own
 * feature detection, and notes each request's key and version. Everything else is forwarded
 * byte for byte. Point the broker's advertised port at the proxy so every connection of the
 * client passes through it.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Reader } from '../../../src/protocol/codec/reader.js';
import { FrameDecoder, encodeFrame } from '../../../src/protocol/framing.js';
import { decodeApiVersionsResponse, encodeApiVersionsResponse } from '../../../src/protocol/messages/api-versions.js';

export interface CappingProxy {
  port: number;
  /** Every request seen, in arrival order. */
  requests: Array<{ apiKey: number; apiVersion: number }>;
  /** Forwards to this port from now on. */
  target(port: number): void;
  close(): Promise<void>;
}

const API_VERSIONS = 18;

/** `caps`: API key → the highest version to advertise. */
export async function versionCappingProxy(caps: Record<number, number>): Promise<CappingProxy> {
  let targetPort = 0;
  const requests: CappingProxy['requests'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const fromClient = new FrameDecoder();
    const fromServer = new FrameDecoder();
    /** Correlation id → ApiVersions request version, for the answers to rewrite. */
    const apiVersionsRequests = new Map<number, number>();
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      for (const frame of fromClient.push(chunk)) {
        const apiKey = frame.readInt16BE(0);
        const apiVersion = frame.readInt16BE(2);
        requests.push({ apiKey, apiVersion });
        if (apiKey === API_VERSIONS) apiVersionsRequests.set(frame.readInt32BE(4), apiVersion);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const frame of fromServer.push(chunk)) {
        const correlationId = frame.readInt32BE(0);
        const version = apiVersionsRequests.get(correlationId);
        if (version === undefined) {
          const size = Buffer.alloc(4);
          size.writeInt32BE(frame.length);
          client.write(Buffer.concat([size, frame]));
          continue;
        }
        apiVersionsRequests.delete(correlationId);
        // ApiVersions answers always use response header v0 (the correlation id alone).
        const body = decodeApiVersionsResponse(new Reader(frame.subarray(4)), version > 3 ? 0 : version);
        for (const api of body.apiKeys) {
          const cap = caps[api.apiKey];
          if (cap !== undefined) api.maxVersion = Math.min(api.maxVersion, cap);
        }
        for (const part of encodeFrame((w) => {
          w.writeInt32(correlationId);
          encodeApiVersionsResponse(w, version > 3 ? 0 : version, body);
        })) client.write(part);
      }
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    target: (port) => (targetPort = port),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
