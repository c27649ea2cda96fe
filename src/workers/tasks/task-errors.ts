/**
 * How a task's SkeinError crosses threads: structured clone keeps an Error's message but not
 * its code or details, so tasks return { ok: false, error: { code, message, details } } and
 * the pool's caller turns it back into the SkeinError it was. Other throws stay throws.
 */
import { SkeinError, isErrorCode } from '../../errors.js';

export type TaskOutcome<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string; details: Record<string, unknown> } };

export function taskFailure(err: unknown): TaskOutcome<never> {
  if (!(err instanceof SkeinError)) throw err;
  const { code, message } = err;
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (key !== 'code' && key !== 'message' && key !== 'stack' && key !== 'cause' && key !== 'name') details[key] = value;
  }
  return { ok: false, error: { code, message, details } };
}

/** The value of a task's outcome, or the SkeinError it failed with. */
export function unwrapOutcome<T>(outcome: TaskOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { code, message, details } = outcome.error;
  throw new SkeinError(isErrorCode(code) ? code : 'SKEIN_INVALID_RECORD', message, details);
}
