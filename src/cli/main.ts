/**
 * The `skein` command line (bin/skein.js calls `main`). One file per command; this one only
 * declares them with commander and turns their results into an exit code (exit-codes.ts).
 * Each action imports its command's module when it runs, so `skein --help` and the
 * protocol-only commands never load the native addon.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { LOG_LEVELS, type LogLevel } from '../protocol/server/log.js';
import { resolveBootstrap } from './defaults.js';
import { LOG_FORMATS, type LogFormat } from '../log/logger.js';
import { EXIT } from './exit-codes.js';
import type { Console } from './serve.js';
import { report } from './session.js';

const stdio: Console = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function integer(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || value < min || value > max) throw new InvalidArgumentError(`an integer in [${min}, ${max}] is needed, got "${text}"`);
    return value;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
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

/** name=value pairs (and bare names when `allowBare`) from repeated --config flags. */
function parsePairs(entries: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`${flag} needs name=value, got "${entry}"`);
    out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return out;
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[] = process.argv, io: Console = stdio): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = new Command('skein')
    .description('Skein: a Kafka-compatible event-streaming engine for Node.js')
    .version(version())
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program.addHelpText(
    'after',
    '\nThe broker address: --bootstrap, else SKEIN_BOOTSTRAP, else "bootstrap" in the JSON file SKEIN_CONFIG\n' +
      '(default ./skein.config.json, then ~/.config/skein/config.json), else 127.0.0.1:9092.\n' +
      'Exit codes: 0 ok, 1 failed or refused, 2 wrong usage, 3 broker unreachable, 4 topic/group/partition not found, 5 not a Skein log or damaged data.',
  );
  /** Runs a command body; a thrown CliFailure or error becomes one stderr line and its code. */
  const run = (body: () => Promise<number>) => async () => {
    try {
      exitCode = await body();
    } catch (err) {
      exitCode = report(err, io);
    }
  };
  const bootstrapOption = () => new Option('--bootstrap <host:port>', 'a broker (default: SKEIN_BOOTSTRAP, the config file, or 127.0.0.1:9092)');
  const jsonOption = () => new Option('--json', 'print JSON instead of text');

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
    .option('--request-timeout-ms <ms>', 'close a connection whose request has not arrived whole this long after its first byte (0: never)', integer(0, 0x7fffffff))
    .option('--queued-max-request-bytes <n>', 'memory for requests still arriving, across connections (queued.max.request.bytes)', integer(1, Number.MAX_SAFE_INTEGER))
    .option('--sasl-plain-users <file>', 'require SASL/PLAIN logins; the file holds user:password lines')
    .option('--schema-registry-port <port>', 'also serve the schema registry (Confluent REST API) on this port, on --host (0: any free port; off unless given)', integer(0, 65535))
    .option('--node-id <id>', 'this broker\'s id (node.id); unique in a cluster', integer(0, 0x7fffffff), 0)
    .option('--etcd <urls>', 'join the cluster coordinated by this etcd (http://host:port, comma separated); without it, one broker alone')
    .option('--session-timeout-ms <ms>', 'how long this broker\'s etcd lease lives without keep-alives (whole seconds)', integer(1000, 0x7fffffff), 10000)
    .option('--replica-lag-time-max-ms <ms>', 'a follower not caught up for this long leaves the ISR (replica.lag.time.max.ms)', integer(1, 0x7fffffff), 30000)
    .option('--replica-high-watermark-checkpoint-interval-ms <ms>', 'how often high watermarks are written to replication-offset-checkpoint (replica.high.watermark.checkpoint.interval.ms)', integer(1, 0x7fffffff), 5000)
    .option('--default-replication-factor <n>', 'replicas of topics created without a replication factor', integer(1, 1000), 1)
    .option('--min-insync-replicas <n>', 'min.insync.replicas of topics that do not set it', integer(1, 1000), 1)
    .option('--unclean-leader-election', 'elect an out-of-sync replica when no in-sync one is alive (can lose acknowledged records)')
    .option('--no-auto-leader-rebalance', 'never move leadership back to preferred replicas by itself (auto.leader.rebalance.enable=false)')
    .option('--leader-imbalance-check-interval-seconds <s>', 'how often the controller checks for leaders away from their preferred replica (leader.imbalance.check.interval.seconds)', integer(1, 0x7fffffff), 300)
    .option('--leader-imbalance-per-broker-percentage <n>', 'share of a broker\'s preferred partitions led elsewhere that triggers a rebalance (leader.imbalance.per.broker.percentage)', integer(0, 100), 10)
    .option('--no-controlled-shutdown', 'on SIGTERM leave at once instead of first moving leaderships away (controlled.shutdown.enable=false)')
    .option('--controlled-shutdown-max-retries <n>', 'times SIGTERM asks the controller to move leaderships away (controlled.shutdown.max.retries)', integer(0, 1000), 3)
    .option('--controlled-shutdown-retry-backoff-ms <ms>', 'how long each ask waits for the moves (controlled.shutdown.retry.backoff.ms)', integer(0, 0x7fffffff), 5000)
    .option('--log-retention-check-interval-ms <ms>', 'how often segments past retention.ms / retention.bytes are deleted (log.retention.check.interval.ms)', integer(1, 0x7fffffff), 300000)
    .addOption(new Option('--log-level <level>', 'least severe log entries printed on stderr').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--log-format <format>', 'log lines as readable text or JSON objects (pino)').choices(LOG_FORMATS).default('pretty'))
    .option('--http-port <port>', 'serve /metrics, /health, /ready and the web console on this port (0: any free port; off by default)', integer(0, 65535))
    .action(async (opts: Record<string, unknown>) => {
      await run(async () => {
        const { serve } = await import('./serve.js');
        return serve(
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
            requestTimeoutMs: opts.requestTimeoutMs as number | undefined,
            queuedMaxRequestBytes: opts.queuedMaxRequestBytes as number | undefined,
            saslPlainUsers: opts.saslPlainUsers as string | undefined,
            schemaRegistryPort: opts.schemaRegistryPort as number | undefined,
            logLevel: opts.logLevel as LogLevel,
            httpPort: opts.httpPort as number | undefined,
            logFormat: opts.logFormat as LogFormat,
            nodeId: opts.nodeId as number,
            etcd: opts.etcd as string | undefined,
            sessionTimeoutMs: opts.sessionTimeoutMs as number,
            replicaLagTimeMaxMs: opts.replicaLagTimeMaxMs as number,
            replicaHighWatermarkCheckpointIntervalMs: opts.replicaHighWatermarkCheckpointIntervalMs as number,
            defaultReplicationFactor: opts.defaultReplicationFactor as number,
            minInsyncReplicas: opts.minInsyncReplicas as number,
            uncleanLeaderElection: (opts.uncleanLeaderElection as boolean | undefined) ?? false,
            autoLeaderRebalanceEnable: opts.autoLeaderRebalance as boolean,
            leaderImbalanceCheckIntervalSeconds: opts.leaderImbalanceCheckIntervalSeconds as number,
            leaderImbalancePerBrokerPercentage: opts.leaderImbalancePerBrokerPercentage as number,
            controlledShutdownEnable: opts.controlledShutdown as boolean,
            controlledShutdownMaxRetries: opts.controlledShutdownMaxRetries as number,
            controlledShutdownRetryBackoffMs: opts.controlledShutdownRetryBackoffMs as number,
            retentionCheckIntervalMs: opts.logRetentionCheckIntervalMs as number,
          },
          io,
        );
      })();
    });

  const topics = program.command('topics').description('list, describe, create, delete and change topics of a running broker');
  topics
    .command('list')
    .description('topic names and partition counts')
    .addOption(bootstrapOption())
    .addOption(jsonOption())
    .option('--internal', 'include internal topics (__consumer_offsets)')
    .action((opts: { bootstrap?: string; internal?: boolean; json?: boolean }) =>
      run(async () => (await import('./topics.js')).listTopics(resolveBootstrap(opts.bootstrap), opts.internal ?? false, opts.json ?? false, io))(),
    );
  topics
    .command('describe <topic>')
    .description('partitions with their start and end offsets, and the configs set on the topic')
    .addOption(bootstrapOption())
    .addOption(jsonOption())
    .action((topic: string, opts: { bootstrap?: string; json?: boolean }) =>
      run(async () => (await import('./topics.js')).describeTopic(resolveBootstrap(opts.bootstrap), topic, opts.json ?? false, io))(),
    );
  topics
    .command('create <topic>')
    .description('create a topic')
    .addOption(bootstrapOption())
    .option('--partitions <n>', "partition count (default: the broker's num.partitions)", integer(1, 100000))
    .option('--config <name=value>', 'a topic config, e.g. retention.ms=3600000 (repeatable)', collect)
    .action((topic: string, opts: { bootstrap?: string; partitions?: number; config?: string[] }) =>
      run(async () => (await import('./topics.js')).createTopic(resolveBootstrap(opts.bootstrap), topic, opts.partitions ?? -1, parsePairs(opts.config ?? [], '--config'), io))(),
    );
  topics
    .command('delete <topics...>')
    .description('delete topics and their data')
    .addOption(bootstrapOption())
    .action((names: string[], opts: { bootstrap?: string }) => run(async () => (await import('./topics.js')).deleteTopics(resolveBootstrap(opts.bootstrap), names, io))());
  topics
    .command('alter-config <topic>')
    .description('set (--set name=value) or remove (--delete name) configs of a topic')
    .addOption(bootstrapOption())
    .option('--set <name=value>', 'a config to set (repeatable)', collect)
    .option('--delete <name>', 'a config to remove, back to the default (repeatable)', collect)
    .action((topic: string, opts: { bootstrap?: string; set?: string[]; delete?: string[] }) =>
      run(async () => {
        if (!opts.set && !opts.delete) {
          io.err('skein: alter-config needs --set name=value or --delete name');
          return EXIT.USAGE;
        }
        return (await import('./topics.js')).alterTopicConfig(resolveBootstrap(opts.bootstrap), topic, parsePairs(opts.set ?? [], '--set'), opts.delete ?? [], io);
      })(),
    );
  topics
    .command('add-partitions <topic>')
    .description('grow a topic to --total partitions')
    .addOption(bootstrapOption())
    .requiredOption('--total <n>', 'the partition count wanted', integer(1, 100000))
    .action((topic: string, opts: { bootstrap?: string; total: number }) =>
      run(async () => (await import('./topics.js')).addPartitions(resolveBootstrap(opts.bootstrap), topic, opts.total, io))(),
    );

  program
    .command('produce <topic>')
    .description('send one record per line of stdin (or of --file)')
    .addOption(bootstrapOption())
    .option('--key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('--header <key=value>', 'a header on every record (repeatable)', collect)
    .option('--partition <n>', 'send every record to this partition', integer(0, 100000))
    .option('--file <path>', 'read lines from this file instead of stdin')
    .option('--batch-size <n>', 'records per produce request', integer(1, 1_000_000), 1000)
    .addOption(jsonOption())
    .action((topic: string, opts: { bootstrap?: string; keySeparator?: string; header?: string[]; partition?: number; file?: string; batchSize: number; json?: boolean }) =>
      run(async () =>
        (await import('./produce.js')).produce(
          {
            bootstrap: resolveBootstrap(opts.bootstrap),
            topic,
            keySeparator: opts.keySeparator,
            headers: opts.header ?? [],
            partition: opts.partition,
            file: opts.file,
            batchSize: opts.batchSize,
            json: opts.json ?? false,
          },
          io,
        ),
      )(),
    );

  program
    .command('consume <topic>')
    .description('print records of a topic (until SIGINT, --max-messages or --exit)')
    .addOption(bootstrapOption())
    .option('--from-beginning', 'start at the earliest offset (default: the end, or the group\'s committed offsets)')
    .option('--offset <n>', 'start at this offset (needs --partition)', integer(0, Number.MAX_SAFE_INTEGER))
    .option('--partition <n>', 'read only this partition', integer(0, 100000))
    .option('--group <id>', 'start at the group\'s committed offsets and commit the new positions at the end (the group must have no active members)')
    .option('--max-messages <n>', 'stop after this many records', integer(1, Number.MAX_SAFE_INTEGER))
    .option('-e, --exit', 'stop at the end of every partition')
    .option('--format <fmt>', "kcat-like format: %t topic %p partition %o offset %k key %s value %h headers %T timestamp %K/%S key/value length, e.g. '%p %o %k=%s'")
    .addOption(jsonOption().conflicts('format'))
    .action(
      (
        topic: string,
        opts: { bootstrap?: string; fromBeginning?: boolean; offset?: number; partition?: number; group?: string; maxMessages?: number; exit?: boolean; format?: string; json?: boolean },
      ) =>
        run(async () =>
          (await import('./consume.js')).consume(
            {
              bootstrap: resolveBootstrap(opts.bootstrap),
              topic,
              partition: opts.partition,
              offset: opts.offset,
              fromBeginning: opts.fromBeginning ?? false,
              group: opts.group,
              maxMessages: opts.maxMessages,
              exitAtEnd: opts.exit ?? false,
              format: opts.format,
              json: opts.json ?? false,
            },
            io,
          ),
        )(),
    );

  const groups = program.command('groups').description('consumer groups: members, assignments, lag; reset offsets; delete');
  groups
    .command('list')
    .description('group ids and protocol types')
    .addOption(bootstrapOption())
    .addOption(jsonOption())
    .action((opts: { bootstrap?: string; json?: boolean }) => run(async () => (await import('./groups.js')).listGroups(resolveBootstrap(opts.bootstrap), opts.json ?? false, io))());
  groups
    .command('describe <group>')
    .description('state, members and assignments, and per partition the committed offset, end offset and lag')
    .addOption(bootstrapOption())
    .addOption(jsonOption())
    .action((group: string, opts: { bootstrap?: string; json?: boolean }) =>
      run(async () => (await import('./groups.js')).describeGroup(resolveBootstrap(opts.bootstrap), group, opts.json ?? false, io))(),
    );
  groups
    .command('reset-offsets <group>')
    .description("move a group's committed offsets on a topic (the group must have no active members)")
    .addOption(bootstrapOption())
    .requiredOption('--topic <topic>', 'the topic')
    .option('--partition <n>', 'only this partition (repeatable)', (v: string, prev: number[] = []) => [...prev, integer(0, 100000)(v)])
    .option('--to-earliest', 'to the start of the log')
    .option('--to-latest', 'to the end of the log')
    .option('--to-offset <n>', 'to this offset (clamped to the log)', integer(0, Number.MAX_SAFE_INTEGER))
    .addOption(jsonOption())
    .action((group: string, opts: { bootstrap?: string; topic: string; partition?: number[]; toEarliest?: boolean; toLatest?: boolean; toOffset?: number; json?: boolean }) =>
      run(async () => {
        const chosen = [opts.toEarliest, opts.toLatest, opts.toOffset !== undefined].filter(Boolean).length;
        if (chosen !== 1) {
          io.err('skein: reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset <n>');
          return EXIT.USAGE;
        }
        const to = opts.toEarliest ? { earliest: true as const } : opts.toLatest ? { latest: true as const } : { offset: opts.toOffset! };
        return (await import('./groups.js')).resetOffsets({ bootstrap: resolveBootstrap(opts.bootstrap), groupId: group, topic: opts.topic, to, partitions: opts.partition, json: opts.json ?? false }, io);
      })(),
    );
  groups
    .command('delete <groups...>')
    .description('delete groups and their committed offsets (groups without active members)')
    .addOption(bootstrapOption())
    .action((ids: string[], opts: { bootstrap?: string }) => run(async () => (await import('./groups.js')).deleteGroups(resolveBootstrap(opts.bootstrap), ids, io))());

  const records = program.command('records').description('delete the records of a partition below an offset (DeleteRecords)');
  records
    .command('delete <topic>')
    .description('stop serving and delete records below --before (as kafka-delete-records.sh)')
    .addOption(bootstrapOption())
    .requiredOption('--before <offset|end>', "the first offset kept; 'end' deletes everything (the high watermark)")
    .option('--partition <n>', 'only this partition (repeatable; default: all)', (v: string, prev: number[] = []) => [...prev, integer(0, 100000)(v)])
    .addOption(jsonOption())
    .action((topic: string, opts: { bootstrap?: string; before: string; partition?: number[]; json?: boolean }) =>
      run(async () => {
        const before = opts.before === 'end' ? -1 : integer(0, Number.MAX_SAFE_INTEGER)(opts.before);
        return (await import('./records.js')).deleteRecords(resolveBootstrap(opts.bootstrap), topic, before, opts.partition, opts.json ?? false, io);
      })(),
    );

  program
    .command('reassign')
    .description('move partitions between brokers of a cluster (AlterPartitionReassignments), list or cancel moves, elect preferred leaders')
    .addOption(bootstrapOption())
    .option('--topic <topic>', 'the topic of the partition to move (or to list)')
    .option('--partition <n>', 'the partition to move', integer(0, 100000))
    .option('--replicas <ids>', 'the broker ids it should end on, comma separated, preferred leader first (e.g. 2,3)')
    .option('--plan <file>', 'a JSON plan as kafka-reassign-partitions.sh takes: {"partitions":[{"topic":"t","partition":0,"replicas":[2,3]}]}')
    .option('--cancel', 'cancel the reassignment of --topic/--partition (or of every partition of --plan): back to the replicas it had')
    .option('--list', 'list the reassignments in progress')
    .option('--elect-preferred', 'give leadership back to each partition\'s first replica (of --topic, or every topic) when it is in sync')
    .addOption(jsonOption())
    .action((opts: { bootstrap?: string; topic?: string; partition?: number; replicas?: string; plan?: string; cancel?: boolean; list?: boolean; electPreferred?: boolean; json?: boolean }) =>
      run(async () => {
        const mod = await import('./reassign.js');
        const bootstrap = resolveBootstrap(opts.bootstrap);
        if (opts.list) return mod.listReassignments(bootstrap, opts.topic, opts.json ?? false, io);
        if (opts.electPreferred) {
          const only = opts.topic === undefined ? null : opts.partition === undefined ? undefined : [{ topic: opts.topic, partition: opts.partition }];
          if (only === undefined) {
            io.err('skein: --elect-preferred with --topic needs --partition (or neither, for every partition)');
            return EXIT.USAGE;
          }
          return mod.electPreferred(bootstrap, only, io);
        }
        let moves;
        if (opts.plan !== undefined) {
          moves = mod.readPlan(opts.plan).map((m) => (opts.cancel ? { ...m, replicas: null } : m));
        } else {
          if (opts.topic === undefined || opts.partition === undefined || (opts.replicas === undefined && !opts.cancel)) {
            io.err('skein: reassign needs --topic, --partition and --replicas (or --cancel), or --plan <file>, or --list');
            return EXIT.USAGE;
          }
          let replicas: number[] | null = null;
          if (!opts.cancel) {
            replicas = opts.replicas!.split(',').map((id) => integer(0, 0x7fffffff)(id.trim()));
          }
          moves = [{ topic: opts.topic, partition: opts.partition, replicas }];
        }
        return mod.reassign(bootstrap, moves, opts.json ?? false, io);
      })(),
    );

  program
    .command('bench')
    .description('produce records to a topic and fetch them back; print the rates (partition 0)')
    .addOption(bootstrapOption())
    .option('--topic <topic>', 'the topic (created by the broker if it auto-creates)', 'skein-bench')
    .option('--records <n>', 'records to produce', integer(1, 100_000_000), 100_000)
    .option('--size <bytes>', 'bytes per record value', integer(0, 10_000_000), 100)
    .option('--batch <n>', 'records per produce request', integer(1, 1_000_000), 1000)
    .addOption(jsonOption())
    .action((opts: { bootstrap?: string; topic: string; records: number; size: number; batch: number; json?: boolean }) =>
      run(async () =>
        (await import('./bench.js')).bench({ bootstrap: resolveBootstrap(opts.bootstrap), topic: opts.topic, records: opts.records, size: opts.size, batch: opts.batch, json: opts.json ?? false }, io),
      )(),
    );

  const log = program.command('log').description('look at a data folder directly, without a broker');
  log
    .command('inspect <folder>')
    .description('segments, batches and CRC checks of a partition folder or a data folder (as kafka-dump-log.sh)')
    .option('--batches', 'list every batch')
    .addOption(jsonOption())
    .action((folder: string, opts: { batches?: boolean; json?: boolean }) =>
      run(async () => (await import('./log-inspect.js')).inspectLog(folder, { batches: opts.batches ?? false, json: opts.json ?? false }, io))(),
    );

  try {
    await program.parseAsync(argv);
  } catch (err) {
    // commander has printed the problem (or the help / version asked for) already.
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT.OK;
      return EXIT.USAGE;
    }
    return report(err, io);
  }
  return exitCode;
}

/**
 * Exits with `code` once stdout and stderr have taken everything written: to a pipe from a
 * Node parent (a socket) writes are asynchronous, and process.exit at once would cut a long
 * `skein consume` output short.
 */
export function flushAndExit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
