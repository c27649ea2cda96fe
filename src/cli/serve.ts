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
import { AdminServer } from '../admin/admin-server.js';
import type { LogLevel } from '../protocol/server/log.js';
import { createLogger, requestLogObserver, serverLogger, type LogFormat } from '../log/logger.js';
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
  requestTimeoutMs?: number;
  queuedMaxRequestBytes?: number;
  /** A file of `user:password` lines: clients must log in with SASL/PLAIN. */
  saslPlainUsers?: string;
  /** Serve the schema registry's REST API on this port (on `host`); off when undefined. */
  schemaRegistryPort?: number;
  /** node.id: the broker's id in Metadata answers (and in its cluster). Default 0. */
  nodeId?: number;
  /** etcd URLs (comma separated): join that cluster instead of running alone. */
  etcd?: string;
  sessionTimeoutMs?: number;
  replicaLagTimeMaxMs?: number;
  replicaHighWatermarkCheckpointIntervalMs?: number;
  defaultReplicationFactor?: number;
  minInsyncReplicas?: number;
  uncleanLeaderElection?: boolean;
  autoLeaderRebalanceEnable?: boolean;
  leaderImbalanceCheckIntervalSeconds?: number;
  leaderImbalancePerBrokerPercentage?: number;
  controlledShutdownEnable?: boolean;
  controlledShutdownMaxRetries?: number;
  controlledShutdownRetryBackoffMs?: number;
  /** log.retention.check.interval.ms. Default 300000. */
  retentionCheckIntervalMs?: number;
  logLevel: LogLevel;
  /** The HTTP admin port (/metrics, /health, /ready, the console); off when undefined. */
  httpPort?: number;
  /** Log lines as JSON objects or readable text (default pretty). */
  logFormat?: LogFormat;
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
  // The admin port comes up first: /health answers and /ready says 503 while data loads.
  let admin: AdminServer | undefined;
  if (options.httpPort !== undefined) {
    try {
      admin = await AdminServer.listen({ host: options.host, port: options.httpPort });
    } catch (err) {
      const inUse = err instanceof SkeinError && err.errno === 'EADDRINUSE';
      io.err(`skein: cannot serve HTTP on ${options.host}:${options.httpPort}: ${inUse ? 'the port is already in use (choose another with --http-port)' : (err as Error).message}`);
      return 1;
    }
  }
  const logger = createLogger({ level: options.logLevel, format: options.logFormat ?? 'pretty' });
  const listen = {
    host: options.host,
    port: options.port,
    advertisedHost: options.advertisedHost,
    advertisedPort: options.advertisedPort,
    maxFrameBytes: options.maxFrameBytes,
    connectionsMaxIdleMs: options.idleMs,
    requestTimeoutMs: options.requestTimeoutMs,
    queuedMaxRequestBytes: options.queuedMaxRequestBytes,
    sasl: users ? { plain: { users } } : undefined,
    log: serverLogger(logger),
    observer: requestLogObserver(logger),
  };
  const cluster = options.etcd
    ? {
        nodeId: options.nodeId ?? 0,
        etcd: options.etcd,
        sessionTimeoutMs: options.sessionTimeoutMs,
        replicaLagTimeMaxMs: options.replicaLagTimeMaxMs,
        replicaHighWatermarkCheckpointIntervalMs: options.replicaHighWatermarkCheckpointIntervalMs,
        defaultReplicationFactor: options.defaultReplicationFactor,
        minInsyncReplicas: options.minInsyncReplicas,
        uncleanLeaderElection: options.uncleanLeaderElection,
        autoLeaderRebalanceEnable: options.autoLeaderRebalanceEnable,
        leaderImbalanceCheckIntervalSeconds: options.leaderImbalanceCheckIntervalSeconds,
        leaderImbalancePerBrokerPercentage: options.leaderImbalancePerBrokerPercentage,
        controlledShutdownEnable: options.controlledShutdownEnable,
        controlledShutdownMaxRetries: options.controlledShutdownMaxRetries,
        controlledShutdownRetryBackoffMs: options.controlledShutdownRetryBackoffMs,
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
      retentionCheckIntervalMs: options.retentionCheckIntervalMs,
      cluster,
      // Recovery after an unclean stop and other storage warnings; topic changes, one line each.
      onWarning: (message) => logger.warn(message),
      onTopicChange: ({ type, ...fields }) => logger.info(fields, `topic ${type}`),
    });
  } catch (err) {
    io.err(cannotStart(err, options, prepared.dir));
    await admin?.close();
    return 1;
  }
  let bootstrap: string;
  let bound: { host: string; port: number };
  if (cluster) {
    // Skein.open({ cluster }) listened already: the cluster learns the address before it joins.
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
      await admin?.close();
      return 1;
    }
  }
  if (admin) skein.attachAdmin(admin);
  let registryLine = '';
  if (options.schemaRegistryPort !== undefined) {
    try {
      const registry = await skein.serveSchemaRegistry({ host: options.host, port: options.schemaRegistryPort });
      registryLine = `, schema registry on ${registry.url}`;
    } catch (err) {
      io.err(`skein: cannot serve the schema registry on ${options.host}:${options.schemaRegistryPort}: ${(err as Error).message}`);
      await skein.close();
      await admin?.close();
      return 1;
    }
  }
  const auth = users ? `, SASL/PLAIN for ${Object.keys(users).length} user${Object.keys(users).length === 1 ? '' : 's'}` : '';

  // Signal handlers first, then the line saying we listen: a supervisor may send SIGTERM the
  // moment it reads that line, before the next statement here runs.
  const stopped = new Promise<number>((resolve) => {
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
          const moved = skein.controlledShutdown;
          if (moved) {
            const per = moved.moved > 0 ? `, ${(moved.elapsedMs / moved.moved).toFixed(1)} ms per partition` : '';
            const left = moved.remaining.length > 0 ? `; still led here: ${moved.remaining.join(', ')}` : '';
            io.err(`skein: controlled shutdown moved ${moved.moved} of ${moved.led} led partitions in ${moved.elapsedMs} ms${per}${moved.resigned ? ', resigned as controller' : ''}${left}`);
          }
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
  const http = admin ? `, admin on ${admin.url}` : '';
  const joined = cluster ? `, broker ${cluster.nodeId} of the cluster in etcd ${cluster.etcd}` : '';
  io.out(`skein listening on ${bound.host}:${bound.port} (clients connect to ${bootstrap}), data in ${prepared.dir}${auth}${http}${registryLine}${joined}`);
  return stopped;
}

/** One line for a failed start: port in use, cluster not joined, or the data folder. */
function cannotStart(err: unknown, options: ServeOptions, dir: string): string {
  if (err instanceof SkeinError && err.errno === 'EADDRINUSE') {
    return `skein: cannot listen on ${options.host}:${options.port}: the port is already in use (another broker running? choose another with --port)`;
  }
  if (err instanceof SkeinError && (err.code === 'SKEIN_COORDINATOR_UNAVAILABLE' || err.code === 'SKEIN_NODE_ID_IN_USE')) {
    return `skein: cannot join the cluster (${err.code}): ${err.message}`;
  }
  if (err instanceof SkeinError && (err.code === 'SKEIN_INCONSISTENT_NODE_ID' || err.code === 'SKEIN_INCONSISTENT_CLUSTER_ID' || err.code === 'SKEIN_CORRUPT_META_PROPERTIES')) {
    return `skein: refusing to start on ${dir} (${err.code}): ${err.message}`;
  }
  if (err instanceof SkeinError && err.code === 'SKEIN_IO_ERROR' && err.port !== undefined) {
    return `skein: cannot listen on ${options.host}:${options.port}: ${err.message}`;
  }
  const code = err instanceof SkeinError ? ` (${err.code})` : '';
  return `skein: cannot open the data folder ${dir}${code}: ${(err as Error).message}`;
}
