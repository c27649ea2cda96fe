/**
 * What `skein`'s exit codes mean, one place for every command (scripts branch on them; the
 * list is in docs/cli.md). A failing command prints one line on stderr saying what is wrong
 * and what to do, then exits with one of these.
 */
export const EXIT = {
  OK: 0,
  /** The broker refused the request, or the work failed for another reason. */
  FAILED: 1,
  /** Wrong flags or arguments (commander's usage errors included). */
  USAGE: 2,
  /** No broker answered at the bootstrap address. */
  UNREACHABLE: 3,
  /** The topic, group or partition named does not exist. */
  NOT_FOUND: 4,
  /** The folder is not a Skein log, or its data is damaged (`skein log inspect`). */
  BAD_DATA: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure a command reports as one line and an exit code; anything else is FAILED. */
export class CliFailure extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}
