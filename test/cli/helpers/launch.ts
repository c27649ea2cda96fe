/**
 * What bin/skein.js does, over the freshly compiled sources (out/src) rather than dist/, so
 * the CLI tests check the code of this checkout: `node out/test/cli/helpers/launch.js serve ...`.
 */
import { flushAndExit, main } from '../../../src/cli/main.js';

flushAndExit(await main(process.argv));
