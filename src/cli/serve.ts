/**
 * `skein serve`: one broker over a data folder, served over the Kafka protocol until a
 * signal, the embedded default of DESIGN.md ("npm start": 127.0.0.1:9092, ./skein-data).
 *
 * Startup refuses clearly, with exit code 1, when the folder cannot be written or the
 * address cannot be bound; then one line on stdout says where it listens (scripts and tests
 * wait for it). SIGINT or SIGTERM closes gracefully: connections finish what they owe, the
 * broker flushes and writes each partition's clean-shutdown marker, exit code 0. A second
 * signal during that exits at once with code 1 (the next start recovers, as after a crash).
 */
import { Skein } from '../client/skein.js';
import { SkeinError } from '../errors.js';
import { atLeast, stderrLogger, type LogLevel } from '../protocol/server/log.js';
import { prepareDataDir } from './data-dir.js';
import { readUsersFile } from './users-file.js';

export interface ServeOptions {
  dir: string;
  host: string;
  port: number;
  advertisedHost?: string;
  advertisedPort?: number;
  autoCreateTopics: boolean;
  numPartitions: number;
  maxFrameBytes?: number;
  idleMs?: number;
  /** A file of `user:password` lines: clients must log in with SASL/PLAIN. */
  saslPlainUsers?: string;
  /** node.id: the broker's id in Metadata answers (and in its cluster). Default 0. */
  nodeId?: number;
  /** etcd URLs (comma separated): join that cluster instead of running alone. */
  etcd?: string;
  sessionTimeoutMs?: number;
  replicaLagTimeMaxMs?: number;
  defaultReplicationFactor?: number;
  minInsyncReplicas?: number;
  uncleanLeaderElection?: boolean;
  logLevel: LogLevel;
}

export interface Console {
  out(line: string): void;
  err(line: string): void;
}

/** Runs the server; resolves with the process exit code once it has stopped. */
export async function serve(options: ServeOptions, io: Console): Promise<number> {
  let users: Record<string, string> | undefined;
  if (options.saslPlainUsers !== undefined) {
    const read = readUsersFile(options.saslPlainUsers);
    if ('problem' in read) {
      io.err(`skein: cannot use the SASL users file ${options.saslPlainUsers}: ${read.problem}`);
      return 1;
    }
    users = read.users;
  }
  const prepared = prepareDataDir(options.dir);
  if ('problem' in prepared) {
    io.err(`skein: the data folder ${prepared.problem.dir} is not writable (${prepared.problem.reason})`);
    return 1;
  }
  const listen = {
    host: options.host,
    port: options.port,
    advertisedHost: options.advertisedHost,
    advertisedPort: options.advertisedPort,
    maxFrameBytes: options.maxFrameBytes,
    connectionsMaxIdleMs: options.idleMs,
    sasl: users ? { plain: { users } } : undefined,
    log: atLeast(options.logLevel, stderrLogger),
  };
  const cluster = options.etcd
    ? {
        nodeId: options.nodeId ?? 0,
        etcd: options.etcd,
        sessionTimeoutMs: options.sessionTimeoutMs,
        replicaLagTimeMaxMs: options.replicaLagTimeMaxMs,
        defaultReplicationFactor: options.defaultReplicationFactor,
        minInsyncReplicas: options.minInsyncReplicas,
        uncleanLeaderElection: options.uncleanLeaderElection,
        listen,
      }
    : undefined;
  let skein: Skein;
  try {
    skein = await Skein.open({
      dir: prepared.dir,
      nodeId: options.nodeId,
      autoCreateTopics: options.autoCreateTopics,
      numPartitions: options.numPartitions,
      cluster,
      onWarning: (message) => io.err(`skein: ${message}`),
    });
  } catch (err) {
    io.err(cannotStart(err, options, prepared.dir));
    return 1;
  }
  let bootstrap: string;
  let bound: { host: string; port: number };
  if (cluster) {
    bootstrap = `${skein.broker.listener.host}:${skein.broker.listener.port}`;
    bound = skein.boundAddress()!;
  } else {
    try {
      const listener = await skein.listen(listen);
      bootstrap = listener.bootstrap;
      bound = listener;
    } catch (err) {
      io.err(cannotStart(err, options, prepared.dir));
      await skein.close();
      return 1;
    }
  }
  const auth = users ? `, SASL/PLAIN for ${Object.keys(users).length} user${Object.keys(users).length === 1 ? '' : 's'}` : '';
  const joined = cluster ? `, broker ${cluster.nodeId} of the cluster in etcd ${cluster.etcd}` : '';
  io.out(`skein listening on ${bound.host}:${bound.port} (clients connect to ${bootstrap}), data in ${prepared.dir}${auth}${joined}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        io.err(`skein: ${signal} again, exiting without a clean shutdown`);
        resolve(1);
        return;
      }
      stopping = true;
      io.err(`skein: ${signal} received, shutting down`);
      skein.close().then(
        () => {
          io.err('skein: stopped');
          resolve(0);
        },
        (err: unknown) => {
          io.err(`skein: shutdown failed: ${(err as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** One line saying why the broker did not start: a busy port, an unusable folder, etcd. */
function cannotStart(err: unknown, options: ServeOptions, dir: string): string {
  if (err instanceof SkeinError && err.errno === 'EADDRINUSE') {
    return `skein: cannot listen on ${options.host}:${options.port}: the port is already in use (another broker running? choose another with --port)`;
  }
  if (err instanceof SkeinError && (err.code === 'SKEIN_COORDINATOR_UNAVAILABLE' || err.code === 'SKEIN_NODE_ID_IN_USE')) {
    return `skein: cannot join the cluster: ${err.message}`;
  }
  if (err instanceof SkeinError && err.code === 'SKEIN_IO_ERROR' && err.port !== undefined) {
    return `skein: cannot listen on ${options.host}:${options.port}: ${err.message}`;
  }
  return `skein: cannot open the data folder ${dir}: ${(err as Error).message}`;
}
