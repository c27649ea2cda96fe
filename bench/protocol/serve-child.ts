/**
 * `skein serve` for the protocol benchmark, from the freshly compiled sources (out/src), in a
 * process of its own so that its CPU time can be read apart from the client's.
 */
import { main } from '../../src/cli/main.js';

process.exit(await main(process.argv));
