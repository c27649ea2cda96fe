/**
 * A Skein served over the Kafka protocol in this process, on a free port of 127.0.0.1, as a
 * user's test suite would start it: `Skein.open` + `skein.listen({ port: 0 })`. Group
 * settings are shortened so rebalances in tests take milliseconds, not Kafka's seconds.
 */
import { join } from 'node:path';
import { Skein, type Listener } from '../../../src/client/skein.js';
import type { LogLevel } from '../../../src/protocol/server/log.js';
import { tempDir } from '../../helpers/temp-dir.js';

export interface Served {
  skein: Skein;
  listener: Listener;
  bootstrap: string;
  dir: string;
  /** Log entries at warn and error (peers breaking the protocol, our own bugs). */
  problems: Array<{ level: LogLevel; message: string; fields?: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function serveSkein(options: { numPartitions?: number; advertisedPort?: number } = {}): Promise<Served> {
  const dir = join(tempDir('skein-interop-'), 'data');
  const skein = await Skein.open({ dir, groupInitialRebalanceDelayMs: 50, numPartitions: options.numPartitions });
  const problems: Served['problems'] = [];
  const listener = await skein.listen({
    port: 0,
    advertisedPort: options.advertisedPort,
    log: (level, message, fields) => {
      if (level === 'warn' || level === 'error') problems.push({ level, message, fields });
    },
  });
  return { skein, listener, bootstrap: listener.bootstrap, dir, problems, close: () => skein.close() };
}

/** Waits until `check()` holds; fails the test after `timeoutMs` (a hang detector, not a timing check). */
export async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
