/**
 * How a command talks to a broker: open one KafkaConnection to the bootstrap address, run the
 * command's work, close, and turn whatever went wrong into one stderr line and an exit code
 * (unreachable broker: 3; CliFailure: its own code; anything else: 1).
 */
import { SkeinError } from '../errors.js';
import { kafkaErrorName } from '../protocol/error-codes.js';
import { CliFailure, EXIT, type ExitCode } from './exit-codes.js';
import { KafkaConnection } from './kafka-connection.js';
import type { Console } from './serve.js';

export async function withConnection(bootstrap: string, io: Console, work: (c: KafkaConnection) => Promise<number>): Promise<number> {
  let connection: KafkaConnection;
  try {
    connection = await KafkaConnection.open(bootstrap);
  } catch (err) {
    io.err(`skein: ${(err as Error).message} (is the broker running? set --bootstrap or SKEIN_BOOTSTRAP)`);
    return EXIT.UNREACHABLE;
  }
  try {
    return await work(connection);
  } catch (err) {
    return report(err, io);
  } finally {
    connection.close();
  }
}

/** One line on stderr for a failure; returns its exit code. */
export function report(err: unknown, io: Console): ExitCode {
  if (err instanceof CliFailure) {
    io.err(`skein: ${err.message}`);
    return err.exitCode;
  }
  if ((err as { code?: string }).code === 'commander.invalidArgument') {
    io.err(`skein: ${(err as Error).message}`);
    return EXIT.USAGE;
  }
  if (err instanceof SkeinError && err.code === 'SKEIN_DISCONNECTED') {
    io.err(`skein: ${err.message}`);
    return EXIT.UNREACHABLE;
  }
  io.err(`skein: ${(err as Error).message ?? String(err)}`);
  return EXIT.FAILED;
}

/** A Kafka error code as its name and the broker's message, e.g. "UNKNOWN_TOPIC_OR_PARTITION (…)". */
export function errorText(code: number, message?: string | null): string {
  return `${kafkaErrorName(code) ?? `error ${code}`}${message ? ` (${message})` : ''}`;
}

/** The exit code a refusal maps to: missing things are NOT_FOUND, the rest FAILED. */
export function exitFor(code: number): ExitCode {
  const name = kafkaErrorName(code);
  return name === 'UNKNOWN_TOPIC_OR_PARTITION' || name === 'GROUP_ID_NOT_FOUND' || name === 'UNKNOWN_TOPIC_ID' ? EXIT.NOT_FOUND : EXIT.FAILED;
}
