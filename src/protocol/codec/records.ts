/**
 * The value of a `records` field: RecordBatch bytes that the protocol layer never looks
 * inside. Decoders return one Buffer that is a view of the request (no copy), so a
 * Produce request's batches go to the log straight from the socket's bytes. Encoders also
 * accept a list of Buffers, so a Fetch answer can be made of several zero-copy views of
 * log segments per partition; each is appended to the output chunk list as it is.
 */

/** One Buffer, or several written back to back as one `records` field. */
export type Records = Buffer | readonly Buffer[];

/** Total bytes of a records value. */
export function recordsByteLength(records: Records): number {
  if (Buffer.isBuffer(records)) return records.length;
  let total = 0;
  for (const part of records) total += part.length;
  return total;
}
