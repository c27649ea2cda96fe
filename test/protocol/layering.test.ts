/**
 * The protocol layer never reaches files or storage (DESIGN.md "Layers"; the generator in
 * scripts/ is dev-time only and may): no module under src/protocol imports node:fs,
 * src/storage or src/native, nor reads the JSON specs at run time.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from './helpers/spec-model.js';

const root = join(REPO, 'src/protocol');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('src/protocol imports neither fs nor storage nor the native addon', () => {
  const files = tsFiles(root);
  assert.ok(files.length > 30);
  const offences: string[] = [];
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      const target = match[1]!;
      if (/^(node:)?fs(\/promises)?$/.test(target) || /\/storage\//.test(target) || /\/native\//.test(target) || target.endsWith('.json')) {
        offences.push(`${relative(REPO, file)} imports ${target}`);
      }
    }
  }
  assert.equal(offences, []);
});

test.run();
