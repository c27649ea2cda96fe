/**
 * Free loopback ports for programs that need a number up front (etcd takes its listen URLs on
 * the command line; it cannot bind port 0 and say where). Binding port 0 and closing leaves a
 * small window in which another process can take the port: callers retry the whole start.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
