#!/usr/bin/env node
// The `skein` command: the compiled CLI (npm run build, or npm install, makes dist/).
import { flushAndExit, main } from '../dist/cli/main.js';

flushAndExit(await main(process.argv));
