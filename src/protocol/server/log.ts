/**
 * How the protocol server reports what happens on its connections: a plain function the
 * embedder supplies (the CLI prints info and above to stderr; `Skein.listen` prints warnings
 * and errors). Structured fields, never string formatting of values, so a caller can filter
 * on `connection`, `apiKey` and the like.
 *
 * Levels: debug (every refused or failed request, client disconnects), info (listening,
 * connections opening/closing, idle closes), warn (a peer broke the protocol: oversize frame,
 * malformed request, unknown API), error (a bug on our side: a handler threw something that
 * is not a SkeinError, an encoder refused a response).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type ServerLogger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** A logger that drops everything. */
export const silentLogger: ServerLogger = () => {};

/** Passes entries at `minimum` and above to `sink`. */
export function atLeast(minimum: LogLevel, sink: ServerLogger): ServerLogger {
  const floor = LOG_LEVELS.indexOf(minimum);
  return (level, message, fields) => {
    if (LOG_LEVELS.indexOf(level) >= floor) sink(level, message, fields);
  };
}

/** One line per entry on stderr: `skein <level> <message> key=value ...`. */
export const stderrLogger: ServerLogger = (level, message, fields) => {
  const extra = fields
    ? Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
        .join(' ')
    : '';
  process.stderr.write(`skein ${level} ${message}${extra ? ' ' + extra : ''}\n`);
};
