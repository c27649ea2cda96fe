/**
 * The `skein` command line (bin/skein.js calls `main`). One file per command; this one only
 * declares them with commander and turns their results into an exit code: `serve`, and
 * `topics list | describe | create | delete` against a running broker.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { LOG_LEVELS, type LogLevel } from '../protocol/server/log.js';
import { serve, type Console } from './serve.js';
import { createTopic, deleteTopics, describeTopic, listTopics } from './topics.js';

const stdio: Console = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function integer(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) throw new InvalidArgumentError(`an integer in [${min}, ${max}] is needed, got "${text}"`);
    return value;
  };
}

/** The version in the package.json above this file (dist/cli or out/src/cli). */
function version(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'skein' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next folder up
    }
  }
  return 'unknown';
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[] = process.argv, io: Console = stdio): Promise<number> {
  let exitCode = 0;
  const program = new Command('skein')
    .description('Skein: a Kafka-compatible event-streaming engine for Node.js')
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('serve')
    .description('run a broker that speaks the Kafka protocol, until SIGINT or SIGTERM')
    .option('--dir <path>', 'data folder', './skein-data')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', integer(0, 65535), 9092)
    .option('--advertised-host <host>', 'host clients are told to connect to (default: --host)')
    .option('--advertised-port <port>', 'port clients are told to connect to (default: the bound port)', integer(1, 65535))
    .option('--no-auto-create-topics', 'do not create topics that clients ask for (auto.create.topics.enable=false)')
    .option('--num-partitions <n>', 'partitions of auto-created topics and of createTopics without a count', integer(1, 100000), 1)
    .option('--max-frame-bytes <n>', 'largest request accepted (socket.request.max.bytes)', integer(1024, 0x7fffffff))
    .option('--idle-ms <ms>', 'close connections silent for this long (connections.max.idle.ms)', integer(0, 0x7fffffff))
    .option('--sasl-plain-users <file>', 'require SASL/PLAIN logins; the file holds user:password lines')
    .option('--node-id <id>', 'this broker\'s id (node.id); unique in a cluster', integer(0, 0x7fffffff), 0)
    .option('--etcd <urls>', 'join the cluster coordinated by this etcd (http://host:port, comma separated); without it, one broker alone')
    .option('--session-timeout-ms <ms>', 'how long this broker\'s etcd lease lives without keep-alives (whole seconds)', integer(1000, 0x7fffffff), 10000)
    .option('--replica-lag-time-max-ms <ms>', 'a follower not caught up for this long leaves the ISR (replica.lag.time.max.ms)', integer(1, 0x7fffffff), 30000)
    .option('--default-replication-factor <n>', 'replicas of topics created without a replication factor', integer(1, 1000), 1)
    .option('--min-insync-replicas <n>', 'min.insync.replicas of topics that do not set it', integer(1, 1000), 1)
    .option('--unclean-leader-election', 'elect an out-of-sync replica when no in-sync one is alive (can lose acknowledged records)')
    .addOption(new Option('--log-level <level>', 'least severe log entries printed on stderr').choices(LOG_LEVELS).default('info'))
    .action(async (opts: Record<string, unknown>) => {
      exitCode = await serve(
        {
          dir: opts.dir as string,
          host: opts.host as string,
          port: opts.port as number,
          advertisedHost: opts.advertisedHost as string | undefined,
          advertisedPort: opts.advertisedPort as number | undefined,
          autoCreateTopics: opts.autoCreateTopics as boolean,
          numPartitions: opts.numPartitions as number,
          maxFrameBytes: opts.maxFrameBytes as number | undefined,
          idleMs: opts.idleMs as number | undefined,
          saslPlainUsers: opts.saslPlainUsers as string | undefined,
          nodeId: opts.nodeId as number,
          etcd: opts.etcd as string | undefined,
          sessionTimeoutMs: opts.sessionTimeoutMs as number,
          replicaLagTimeMaxMs: opts.replicaLagTimeMaxMs as number,
          defaultReplicationFactor: opts.defaultReplicationFactor as number,
          minInsyncReplicas: opts.minInsyncReplicas as number,
          uncleanLeaderElection: (opts.uncleanLeaderElection as boolean | undefined) ?? false,
          logLevel: opts.logLevel as LogLevel,
        },
        io,
      );
    });

  const topics = program.command('topics').description('list, describe, create and delete topics of a running broker');
  const bootstrapOption = () => new Option('--bootstrap <host:port>', 'a broker of the cluster').default('127.0.0.1:9092');
  topics
    .command('list')
    .description('topic names and partition counts')
    .addOption(bootstrapOption())
    .option('--internal', 'include internal topics (__consumer_offsets)')
    .action(async (opts: { bootstrap: string; internal?: boolean }) => {
      exitCode = await listTopics(opts.bootstrap, opts.internal ?? false, io);
    });
  topics
    .command('describe <topic>')
    .description('partitions with their start and end offsets, and the configs set on the topic')
    .addOption(bootstrapOption())
    .action(async (topic: string, opts: { bootstrap: string }) => {
      exitCode = await describeTopic(opts.bootstrap, topic, io);
    });
  topics
    .command('create <topic>')
    .description('create a topic')
    .addOption(bootstrapOption())
    .option('--partitions <n>', 'partition count (default: the broker\'s num.partitions)', integer(1, 100000))
    .option('--config <name=value...>', 'topic configs, e.g. retention.ms=3600000')
    .action(async (topic: string, opts: { bootstrap: string; partitions?: number; config?: string[] }) => {
      const configs: Record<string, string> = {};
      for (const entry of opts.config ?? []) {
        const at = entry.indexOf('=');
        if (at <= 0) {
          io.err(`skein: --config needs name=value, got "${entry}"`);
          exitCode = 1;
          return;
        }
        configs[entry.slice(0, at)] = entry.slice(at + 1);
      }
      exitCode = await createTopic(opts.bootstrap, topic, opts.partitions ?? -1, configs, io);
    });
  topics
    .command('delete <topics...>')
    .description('delete topics and their data')
    .addOption(bootstrapOption())
    .action(async (names: string[], opts: { bootstrap: string }) => {
      exitCode = await deleteTopics(opts.bootstrap, names, io);
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    // commander has printed the problem (or the help / version asked for) already.
    const code = (err as { exitCode?: number }).exitCode;
    return typeof code === 'number' ? code : 1;
  }
  return exitCode;
}
