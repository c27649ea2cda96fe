/**
 * A cluster broker's `<dir>/meta.properties` (Kafka's file, format version 1): whose data the
 * folder holds. `node.id` (the broker that wrote it), `cluster.id` (the cluster it joined, as
 * recorded in etcd) and `directory.id` (a random id for the folder itself, KIP-858). The
 * controller records the directory id each broker registered with; a broker back with another id
 * (an emptied, replaced or re-created folder) is known to have lost its replicas and never leads
 * data it lacks (src/cluster/controller-decisions.ts).
 *
 * Checked before the broker opens its logs or registers, as Kafka does: a folder of another
 * node id (SKEIN_INCONSISTENT_NODE_ID), of another cluster (SKEIN_INCONSISTENT_CLUSTER_ID) or a
 * file that cannot be read as one (SKEIN_CORRUPT_META_PROPERTIES) stops the start, so a broker
 * never serves or replicates someone else's data as its own. A missing file is a new folder.
 * A file written by an earlier version (directory.id only) is accepted and completed.
 *
 * Synchronous, called once at start. Written to a temporary file, fsynced and renamed, so a
 * crash leaves either the old file or the new one.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SkeinError, fromSystemError } from '../errors.js';

const FILE = 'meta.properties';

export interface MetaProperties {
  directoryId: string;
  /** Absent in a file written before node ids were recorded. */
  nodeId?: number;
  /** Absent until the folder first joined a cluster that has an id. */
  clusterId?: string;
}

function corrupt(path: string, what: string): SkeinError {
  return new SkeinError('SKEIN_CORRUPT_META_PROPERTIES', `${path} ${what}: the broker cannot tell whose data this folder holds (remove the file to start the folder as a new, empty replica)`, { path });
}

/** Parses `text` (Java properties: `key=value` lines, `#` comments). */
function parse(path: string, text: string): MetaProperties {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw corrupt(path, `has a line that is not key=value (${JSON.stringify(line.slice(0, 60))})`);
    values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const version = values.get('version');
  if (version !== undefined && version !== '0' && version !== '1') throw corrupt(path, `has version ${JSON.stringify(version)}, expected 1`);
  const directoryId = values.get('directory.id');
  if (directoryId === undefined || !/^[A-Za-z0-9_-]{8,64}$/.test(directoryId)) throw corrupt(path, `has no valid directory.id (${JSON.stringify(directoryId ?? null)})`);
  const meta: MetaProperties = { directoryId };
  const nodeId = values.get('node.id') ?? values.get('broker.id');
  if (nodeId !== undefined) {
    if (!/^\d{1,9}$/.test(nodeId)) throw corrupt(path, `has node.id ${JSON.stringify(nodeId)}, not a node id`);
    meta.nodeId = Number(nodeId);
  }
  const clusterId = values.get('cluster.id');
  if (clusterId !== undefined) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(clusterId)) throw corrupt(path, `has cluster.id ${JSON.stringify(clusterId)}, not a cluster id`);
    meta.clusterId = clusterId;
  }
  return meta;
}

/** The folder's meta.properties, or undefined when it has none (a new folder). */
export function readMetaProperties(dir: string): MetaProperties | undefined {
  const path = join(dir, FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fromSystemError(err as NodeJS.ErrnoException, `reading ${path}`);
  }
  return parse(path, text);
}

/**
 * Refuses a folder written by another broker (node.id) or for another cluster (cluster.id),
 * before anything in it is opened. `clusterId` is the id etcd holds for the cluster joined.
 */
export function checkMetaProperties(dir: string, meta: MetaProperties | undefined, nodeId: number, clusterId: string): void {
  if (!meta) return;
  const path = join(dir, FILE);
  if (meta.nodeId !== undefined && meta.nodeId !== nodeId) {
    throw new SkeinError(
      'SKEIN_INCONSISTENT_NODE_ID',
      `the data folder ${dir} belongs to node id ${meta.nodeId} (${path}), but this broker was started with node id ${nodeId}: start it with --node-id ${meta.nodeId}, or give node ${nodeId} its own folder`,
      { path, nodeId },
    );
  }
  if (meta.clusterId !== undefined && meta.clusterId !== clusterId) {
    throw new SkeinError(
      'SKEIN_INCONSISTENT_CLUSTER_ID',
      `the data folder ${dir} belongs to cluster ${meta.clusterId} (${path}), but the cluster in etcd is ${clusterId}: point the broker at that cluster's etcd and prefix, or give it a fresh folder`,
      { path },
    );
  }
}

/** Writes the folder's identity (keeping its directory id, or making one): returns it. */
export function writeMetaProperties(dir: string, previous: MetaProperties | undefined, nodeId: number, clusterId: string): MetaProperties {
  const meta: MetaProperties = { directoryId: previous?.directoryId ?? randomUUID(), nodeId, clusterId };
  if (previous && previous.nodeId === nodeId && previous.clusterId === clusterId) return meta;
  const path = join(dir, FILE);
  const temp = `${path}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, `# written by skein: the broker and cluster this folder belongs to\nversion=1\nnode.id=${nodeId}\ncluster.id=${clusterId}\ndirectory.id=${meta.directoryId}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `writing ${path}`);
  }
  return meta;
}
