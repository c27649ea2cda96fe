/**
 * The two ways a protocol codec refuses bytes or values, as coded SkeinErrors.
 *
 * Owns: nothing but these constructors. Decoders call `malformed` when bytes read off a
 * connection cannot be a Kafka message (lengths past the end, negative lengths other than
 * the -1 that means null, over-long varints): the server answers that by closing the
 * connection, as Java's broker does. Encoders call `unencodable` when a value given to
 * them cannot be written in the requested version or type (an int32 field holding 2^40,
 * null where the version has no null): that is a bug in the caller, not bad input.
 */
import { SkeinError } from '../../errors.js';

/** Bytes that cannot be a Kafka message; `position` is where reading the bad item began. */
export function malformed(what: string, position: number): SkeinError {
  return new SkeinError('SKEIN_INVALID_REQUEST', `malformed Kafka message: ${what} at position ${position}`, {
    position,
  });
}

/** A value the encoder was given that the wire type or version cannot hold. */
export function unencodable(what: string): SkeinError {
  return new SkeinError('SKEIN_INVALID_ARGUMENT', `cannot encode: ${what}`);
}

/**
 * A field the version being written lacks, set to something other than its default, on a
 * field the spec marks non-ignorable: Java's generated code throws
 * UnsupportedVersionException there rather than drop the value silently.
 */
export function unsupportedField(message: string, field: string, version: number): SkeinError {
  return new SkeinError(
    'SKEIN_UNSUPPORTED_VERSION',
    `${message} v${version} has no field ${field}, which is set to a non-default value`,
    { field, version },
  );
}
