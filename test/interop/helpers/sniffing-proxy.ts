/**
 * A TCP proxy that notes the API key and version of every request going through it, for
 * tests that check which versions a client actually used. Point the broker's advertised
 * port at the proxy so that every connection of the client passes through it.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../../src/protocol/framing.js';

export interface SniffingProxy {
  port: number;
  /** Every request seen, as "apiKey v version", in arrival order. */
  requests: Array<{ apiKey: number; apiVersion: number }>;
  /** Forwards to this port from now on. */
  target(port: number): void;
  close(): Promise<void>;
}

export async function sniffingProxy(): Promise<SniffingProxy> {
  let targetPort = 0;
  const requests: SniffingProxy['requests'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const decoder = new FrameDecoder();
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) requests.push({ apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2) });
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
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
