/**
 * Versions of the npm packages under test, read from node_modules/<name>/package.json on disk:
 * some packages (lmdb) do not export their package.json, so require() of it throws.
 */
import { readFileSync } from 'node:fs';

export function packageVersion(name: string): string {
  try {
    const url = new URL(`../../../node_modules/${name}/package.json`, import.meta.url);
    return JSON.parse(readFileSync(url, 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}
