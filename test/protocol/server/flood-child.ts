/**
 * A broker in its own process for the frame-flood test and benchmark: opens a Skein on argv[2]
 * and listens on a free port of 127.0.0.1 with the server options JSON in argv[3]; prints
 * {"port": n} once listening; exits when stdin closes (its parent died or is done).
 */
import { Skein } from '../../../src/client/skein.js';

const [dir, optionsJson] = process.argv.slice(2);
const skein = await Skein.open({ dir: dir!, groupInitialRebalanceDelayMs: 0 });
const listener = await skein.listen({ port: 0, log: () => {}, ...(JSON.parse(optionsJson ?? '{}') as object) });
process.stdout.write(JSON.stringify({ port: listener.port }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void skein.close().finally(() => process.exit(0));
});
