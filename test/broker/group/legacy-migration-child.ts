/**
 * The child of legacy-migration.test.ts: opens a broker on argv[2] (which migrates the JSON
 * offsets log it finds there), says "opened", and waits to be killed. The parent SIGKILLs it at
 * random moments, most of them during the migration.
 */
import { Broker } from '../../../src/broker/broker.js';

const broker = await Broker.open({ dir: process.argv[2]!, logCleanerIntervalMs: 0 });
process.stdout.write('opened\n');
setInterval(() => void broker, 1000);
