/**
 * Skein's structured logs, through pino: ISO timestamps, levels, one JSON object per line
 * (`format: 'json'`, for log shippers) or one readable line (`'pretty'`, the default on a
 * terminal: `2026-12-04T21:57:00.123Z INFO  topic created topic=orders partitions=3`). The
 * pretty form is formatted here, so pino-pretty is not needed at run time.
 *
 * What logs: `skein serve` (the CLI) and, through `serverLogger`, the protocol server. Knows
 * nothing of brokers or sockets; callers pass fields.
 */
import { pino, type Logger } from 'pino';
import { kafkaErrorName } from '../protocol/error-codes.js';
import type { LogLevel, ServerLogger } from '../protocol/server/log.js';
import type { RequestObserver } from '../protocol/server/observer.js';

export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One JSON log line as `time LEVEL msg key=value ...`. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const { time, level, msg, pid: _pid, hostname: _host, ...fields } = entry;
  const extra = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/^[\w.:/@-]+$/.test(v) ? v : JSON.stringify(v)) : JSON.stringify(v)}`)
    .join(' ');
  return `${String(time)} ${(LEVEL_NAMES[level as number] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extra ? ` ${extra}` : ''}`;
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) write(options.format === 'pretty' ? prettyLine(line) : line);
    },
  };
  return pino({ level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** The protocol server's logger function over a pino logger. */
export function serverLogger(logger: Logger): ServerLogger {
  return (level, message, fields) => logger[level](fields ?? {}, message);
}

/**
 * Log lines read off the protocol server's answered requests (its observer), so no handler
 * or coordinator carries logging code: a group rebalance (the leader's JoinGroup answer: one
 * line per generation) at info, and each refused produce partition at debug.
 */
export function requestLogObserver(logger: Logger): RequestObserver {
  return (event) => {
    if (event.failed || !event.response) return;
    if (event.apiKey === JOIN_GROUP) {
      const r = event.response as { errorCode: number; generationId: number; protocolName: string | null; leader: string; memberId: string; members: unknown[] };
      if (r.errorCode === 0 && r.leader === r.memberId) {
        logger.info({ group: (event.request as { groupId: string }).groupId, generation: r.generationId, protocol: r.protocolName, members: r.members.length }, 'group rebalanced');
      }
    } else if (event.apiKey === PRODUCE && logger.isLevelEnabled('debug')) {
      const r = event.response as { responses: Array<{ name: string; partitionResponses: Array<{ index: number; errorCode: number; errorMessage?: string | null }> }> };
      for (const t of r.responses) {
        for (const p of t.partitionResponses) {
          if (p.errorCode !== 0) logger.debug({ topic: t.name, partition: p.index, error: kafkaErrorName(p.errorCode) ?? p.errorCode, reason: p.errorMessage ?? undefined }, 'produce refused');
        }
      }
    }
  };
}

const PRODUCE = 0;
const JOIN_GROUP = 11;
