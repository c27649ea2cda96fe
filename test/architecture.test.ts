/**
 * Keeps the layering of docs/storage.md and STYLE.md true: each folder of src/ may import only
 * the folders listed for it. A new edge is a design decision, made here on purpose.
 */
import { test } from './helpers/test.js';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const srcRoot = resolve(new URL('../../src', import.meta.url).pathname);

const ALLOWED: Record<string, string[]> = {
  '.': ['client', 'admin', 'broker', 'storage', 'records', 'native', 'schema-registry', '.'],
  native: ['.'],
  records: ['native', '.'],
  storage: ['records', 'native', '.'],
  // The Kafka protocol: codecs and framing; never storage, never files (STYLE.md §2). The
  // follower's connection to its leader (protocol/peer/) implements the cluster's
  // LeaderEndpoint, so it needs those types (cluster lies below broker: no cycle).
  protocol: ['broker', 'cluster', 'records', '.'],
  // One topic-partition: the log, producer state, high watermark, the append pipeline and its
  // events. Over storage; never the broker above it (the broker subscribes to its events).
  partition: ['workers', 'storage', 'records', 'native', '.'],
  // Worker threads with partition affinity and the CPU tasks they run: over records and native,
  // and storage's file-level recovery scan (a task gets bytes or a file path and returns plain
  // data; it never sees a PartitionLog or a partition).
  workers: ['storage', 'records', 'native', '.'],
  // Cluster coordination through etcd and replication over partitions: no Kafka API types, no
  // files (DESIGN.md, "Layers"); it tells partitions to lead or follow and where to truncate.
  cluster: ['partition', 'records', '.'],
  // The topic registry and request routing: over partitions, never sockets or file paths.
  broker: ['cluster', 'partition', 'workers', 'storage', 'records', '.'],
  // The embedded front door: drives the broker like the protocol server does. (client/skein.ts
  // also starts protocol servers for skein.listen(): the one place the two doors meet.)
  // It also joins a cluster for Skein.open({ cluster }) (client/skein.ts).
  client: ['broker', 'cluster', 'partition', 'workers', 'protocol', 'records', 'schema-registry', 'admin', '.'],
  // The schema registry: a front door of its own (Confluent's REST API) over the broker, which
  // stores its records in the compacted topic _schemas. Never storage or files.
  'schema-registry': ['broker', 'records', '.'],
  // The HTTP admin port (metrics, health, console): reads the broker, observes the protocol server.
  admin: ['broker', 'protocol', 'records', '.'],
  // The command line: starts brokers and protocol servers through the client's Skein.
  cli: ['client', 'protocol', 'broker', 'cluster', 'admin', 'storage', 'records', 'log', '.'],
  // Structured logs (pino): formats lines, reads the protocol server's answered requests.
  log: ['protocol', '.'],
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

test('broker → partition → storage: no import leads back up', () => {
  const above: Record<string, string[]> = {
    storage: ['partition', 'broker', 'workers', 'protocol', 'client', 'cli'],
    partition: ['broker', 'protocol', 'client', 'cli'],
    broker: ['protocol', 'client', 'cli'],
  };
  const upward: string[] = [];
  for (const [layer, forbidden] of Object.entries(above)) {
    for (const file of filesUnder(join(srcRoot, layer))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = layerOf(resolve(dirname(file), match[1]!));
        if (forbidden.includes(target)) upward.push(`${relative(srcRoot, file)} imports ${match[1]}`);
      }
    }
  }
  assert.equal(upward, []);
  assert.ok(filesUnder(join(srcRoot, 'partition')).length > 0, 'the partition layer exists');
});

test('the storage layer never mentions topics or the protocol', () => {
  for (const file of filesUnder(join(srcRoot, 'storage'))) {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.not.match(code, /\btopic/i, `${relative(srcRoot, file)} mentions topics`);
    assert.not.match(code, /\bprotocol\b/i, `${relative(srcRoot, file)} mentions the protocol`);
  }
});

test.run();
