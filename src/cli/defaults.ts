/**
 * Where a command's defaults come from, most specific first: the flag, then the environment
 * (SKEIN_BOOTSTRAP), then a JSON config file (SKEIN_CONFIG, else ./skein.config.json, else
 * ~/.config/skein/config.json), then the built-in value. Read once per command; no side effects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliFailure, EXIT } from './exit-codes.js';

export interface CliDefaults {
  bootstrap?: string;
}

export const BUILT_IN_BOOTSTRAP = '127.0.0.1:9092';

/** The config file in effect, if any, and what it sets. */
export function readConfigFile(env: NodeJS.ProcessEnv = process.env): { path?: string; defaults: CliDefaults } {
  const candidates = env.SKEIN_CONFIG ? [resolve(env.SKEIN_CONFIG)] : [resolve('skein.config.json'), join(homedir(), '.config', 'skein', 'config.json')];
  for (const path of candidates) {
    if (!existsSync(path)) {
      if (env.SKEIN_CONFIG) throw new CliFailure(`the config file ${path} (SKEIN_CONFIG) does not exist`, EXIT.USAGE);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new CliFailure(`the config file ${path} is not valid JSON (${(err as Error).message}); fix it or set SKEIN_CONFIG to another file`, EXIT.USAGE);
    }
    if (!parsed || typeof parsed !== 'object') throw new CliFailure(`the config file ${path} must hold a JSON object such as {"bootstrap": "host:9092"}`, EXIT.USAGE);
    const bootstrap = (parsed as Record<string, unknown>).bootstrap;
    if (bootstrap !== undefined && typeof bootstrap !== 'string') throw new CliFailure(`"bootstrap" in ${path} must be a "host:port" string`, EXIT.USAGE);
    return { path, defaults: { bootstrap } };
  }
  return { defaults: {} };
}

/** The bootstrap address a command connects to. */
export function resolveBootstrap(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag || env.SKEIN_BOOTSTRAP || readConfigFile(env).defaults.bootstrap || BUILT_IN_BOOTSTRAP;
  if (!/^[^\s:]+:\d{1,5}$/.test(chosen) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(chosen)) {
    throw new CliFailure(`the bootstrap address "${chosen}" is not host:port (set --bootstrap, SKEIN_BOOTSTRAP or "bootstrap" in the config file)`, EXIT.USAGE);
  }
  return chosen.split(',')[0]!;
}
