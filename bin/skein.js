#!/usr/bin/env node
// The `skein` command: the compiled CLI (npm run build, or npm install, makes dist/).
import { main } from '../dist/cli/main.js';

process.exit(await main(process.argv));
