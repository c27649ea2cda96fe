/**
 * Keeps the layering of docs/storage.md and STYLE.md true: each folder of src/ may import only
 * the folders listed for it. A new edge is a design decision, made here on purpose.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const srcRoot = resolve(new URL('../../src', import.meta.url).pathname);

const ALLOWED: Record<string, string[]> = {
  '.': ['client', 'broker', 'storage', 'records', 'native', '.'],
  native: ['.'],
  records: ['native', '.'],
  storage: ['records', 'native', '.'],
  // The Kafka protocol: codecs and framing; never storage, never files (STYLE.md §2).
  protocol: ['broker', 'records', '.'],
  // Cluster coordination through etcd: no Kafka API types, no files (DESIGN.md, "Layers").
  cluster: ['records', '.'],
  // Topics, groups, produce/fetch: over storage, never sockets or file paths.
  broker: ['cluster', 'storage', 'records', '.'],
  // The embedded front door: drives the broker like the protocol server does. (client/skein.ts
  // also starts protocol servers for skein.listen(): the one place the two doors meet.)
  client: ['broker', 'protocol', 'records', '.'],
  // The command line: starts brokers and protocol servers through the client's Skein.
  cli: ['client', 'protocol', 'broker', 'cluster', '.'],
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(srcRoot, file);
  return rel.includes('/') ? rel.split('/')[0]! : '.';
}

test('src/ imports follow the layers', () => {
  const violations: string[] = [];
  for (const file of filesUnder(srcRoot)) {
    const layer = layerOf(file);
    const allowed = ALLOWED[layer];
    assert.ok(allowed, `no rule for folder ${layer}`);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/from '(\.[^']+)'/g)) {
      const target = resolve(dirname(file), match[1]!);
      const targetLayer = layerOf(target);
      if (targetLayer !== layer && !allowed.includes(targetLayer)) {
        violations.push(`${relative(srcRoot, file)} imports ${match[1]}`);
      }
    }
  }
  assert.equal(violations, []);
});

test('the storage layer never mentions topics or the protocol', () => {
  for (const file of filesUnder(join(srcRoot, 'storage'))) {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.not.match(code, /\btopic/i, `${relative(srcRoot, file)} mentions topics`);
    assert.not.match(code, /\bprotocol\b/i, `${relative(srcRoot, file)} mentions the protocol`);
  }
});

test.run();
