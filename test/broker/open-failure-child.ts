/**
 * Child of open-failure.test.ts: opens the data folder given as argv[2] with the defaults (a
 * worker pool of its own, the maintenance timers), prints the code of the error it fails with
 * (or "opened"), and never calls process.exit: the test checks the process then ends by itself,
 * so nothing of the failed open (threads, timers, the coordinator) keeps it alive.
 */
import { Broker } from '../../src/broker/broker.js';

try {
  const broker = await Broker.open({ dir: process.argv[2]!, retentionCheckIntervalMs: 10, logCleanerIntervalMs: 10 });
  console.log('opened');
  await broker.close();
} catch (err) {
  console.log((err as { code?: string }).code ?? String(err));
}
