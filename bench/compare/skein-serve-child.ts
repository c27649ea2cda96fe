/**
 * The broker for the `skein-kafka` system: what `skein serve --host 127.0.0.1 --port P` runs
 * (Skein.open over a data folder, then listen()), from the freshly compiled sources (out/src),
 * in a process of its own so its CPU is the server's. One difference from the CLI: the group
 * coordinator's initial rebalance delay is 0, as for the embedded Skein adapter, so a consume
 * workload does not wait 100 ms for more members that never come.
 *
 *   node skein-serve-child.js <dir> <port>
 *
 * Prints "skein listening on ... (clients connect to HOST:PORT)" like `skein serve`; closes
 * cleanly on SIGTERM or SIGINT.
 */
import { Skein } from '../../src/client/skein.js';

const [dir, port] = process.argv.slice(2);
if (!dir || !port) {
  process.stderr.write('usage: skein-serve-child.js <dir> <port>\n');
  process.exit(2);
}
const skein = await Skein.open({ dir, groupInitialRebalanceDelayMs: 0 });
const listener = await skein.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write(`skein listening on ${listener.host}:${listener.port} (clients connect to ${listener.bootstrap}), data in ${dir}\n`);
let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  skein.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`skein: shutdown failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
