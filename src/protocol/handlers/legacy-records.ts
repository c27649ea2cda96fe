/**
 * Conversions between the legacy message formats (MessageSet v0/v1, magic 0/1) that Produce
 * v0–2 and Fetch v0–3 carry and the RecordBatch v2 the log stores, as Kafka 3.x makes them
 * (LogValidator on append, RecordsUtil.downConvert on fetch). The log only ever holds v2.
 *
 * Owns: the two conversions and their rules. The byte grammar of the legacy formats is
 * src/records/message-set.ts; RecordBatch v2 is src/records. Knows nothing of sockets or
 * files; pure and synchronous, called by the Produce and Fetch handlers on the event loop
 * (legacy traffic is rare and small: a thread hop would cost more than the copy).
 *
 * Up (Produce v0–2): every message's CRC-32 is checked, compressed wrapper messages (gzip,
 * snappy raw or xerial, lz4: Kafka's magic 0/1 framing with its broken header checksum reads
 * like the correct one, since our decoder does not check it) are decompressed
 * (src/records/compression, capped at the topic's max.message.bytes: a zip bomb is refused
 * before it inflates) and their inner messages
 * taken with absolute offsets; then all messages of the set become one RecordBatch v2 with
 * CreateTime, compressed with the producer's codec when every wrapper used the same one (as
 * Kafka keeps compression.type=producer), else uncompressed. Magic 1 keeps each message's
 * timestamp; magic 0 has none (-1, Kafka's NO_TIMESTAMP). The log assigns offsets and checks
 * the batch as any other. A set of v2 batches in an old request goes through unchanged
 * (Kafka allows it); a set mixing v2 with 0/1 is refused (SKEIN_UNSUPPORTED_MESSAGE_FORMAT).
 * Any failure leaves the log untouched: nothing is appended unless the whole set converts.
 *
 * Down (Fetch v0–3): each stored batch's records from the fetch offset on (compressed batches
 * decompressed) become messages of magic 0 (Fetch v0–1) or 1 (v2–3) with their absolute
 * offsets; headers are dropped (v0/v1 have none, as Kafka drops them); magic 1 keeps the
 * timestamp and its type (LogAppendTime batches give every message the batch's time);
 * control batches are skipped. The result is uncompressed (Kafka would recompress with the
 * batch's codec; uncompressed is valid for every client and needs no codec on their side)
 * and capped at the partition's maxBytes, but always holds at least one message when there
 * is one, as Kafka returns at least one. A batch that cannot be read answers its error for
 * the partition, after any messages converted before it, so the consumer gets those first.
 */
import { SkeinError } from '../../errors.js';
import { CURRENT_MAGIC, MAGIC, type CompressionName } from '../../records/batch-header.js';
import { decompress } from '../../records/compression/index.js';
import { decodeRecordBatch } from '../../records/decode-record-batch.js';
import { encodeRecordBatch, type RecordInput } from '../../records/encode-record-batch.js';
import { decodeMessageSet, encodeMessageSet, innerMessages, isLegacyEntry, sizeOfMessage, type LegacyMagic, type LegacyMessage, type LegacyMessageInput } from '../../records/message-set.js';
import { iterateBatches } from '../../records/record-iterator.js';

/** The message format an old Fetch version can read: magic 0 up to v1, magic 1 for v2–3 (KIP-32). */
export function fetchMagic(apiVersion: number): LegacyMagic {
  return apiVersion >= 2 ? 1 : 0;
}

/**
 * The bytes to append for a Produce v0–2 partition: `records` itself when it holds v2
 * batches, else its legacy messages as one RecordBatch v2. Throws a SkeinError
 * (SKEIN_CORRUPT_MESSAGE for a bad CRC, grammar or compressed payload, see message-set.ts;
 * SKEIN_MESSAGE_TOO_LARGE for a wrapper inflating past `maxMessageBytes()`) and converts
 * nothing. `maxMessageBytes` is asked only when a wrapper is compressed.
 */
export function legacyToBatch(records: Buffer, maxMessageBytes: () => number): Buffer {
  if (records.length > MAGIC && records[MAGIC] === CURRENT_MAGIC) return records;
  if (!isLegacyEntry(records)) {
    throw new SkeinError('SKEIN_CORRUPT_MESSAGE', `a produce request's records start with neither a message (magic 0/1) nor a batch (magic 2)`, {
      size: records.length,
    });
  }
  const messages: LegacyMessage[] = [];
  const codecs = new Set<CompressionName>();
  for (const m of decodeMessageSet(records)) {
    codecs.add(m.compression);
    if (m.compression === 'none') messages.push(m);
    else messages.push(...innerMessages(m, inflate(m, maxMessageBytes())));
  }
  if (messages.length === 0) throw new SkeinError('SKEIN_INVALID_RECORD', 'a produce request with an empty message set');
  const inputs: RecordInput[] = messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp }));
  const [codec] = codecs;
  return encodeRecordBatch(inputs, { timestampType: 'create', compression: codecs.size === 1 ? codec : 'none' });
}

function inflate(wrapper: LegacyMessage, maxBytes: number): Buffer {
  if (wrapper.value === null) throw new SkeinError('SKEIN_CORRUPT_MESSAGE', 'a compressed wrapper message without a value', { offset: wrapper.offset });
  return decompress(wrapper.compression, wrapper.value, { maxBytes });
}

/** What an old Fetch gets for one partition: the converted messages, and an error if a batch could not be converted. */
export interface DownConverted {
  records: Buffer;
  error?: SkeinError;
}

/**
 * The stored v2 batches in `views` as one legacy message set of `magic`, from `fetchOffset`
 * on, at most `maxBytes` long unless the first message alone is larger.
 */
export function batchesToLegacy(views: readonly Buffer[], magic: LegacyMagic, fetchOffset: number, maxBytes: number): DownConverted {
  const out: LegacyMessageInput[] = [];
  let bytes = 0;
  for (const view of views) {
    for (const batch of iterateBatches(view)) {
      // CRCs were checked when the batches were appended (or recovered): no second pass.
      // Compressed batches are decompressed here (validated at append, so no cap).
      let decoded;
      try {
        decoded = decodeRecordBatch(batch, { verifyCrc: false });
      } catch (error) {
        if (!(error instanceof SkeinError)) throw error;
        return { records: encodeMessageSet(out, magic), error: explain(error) };
      }
      if (decoded.isControl) continue;
      for (const r of decoded.records) {
        if (r.offset < fetchOffset) continue;
        const size = sizeOfMessage(magic, r.key, r.value);
        if (out.length > 0 && bytes + size > maxBytes) return { records: encodeMessageSet(out, magic) };
        bytes += size;
        out.push({ offset: r.offset, timestamp: magic === 1 ? r.timestamp : -1, timestampType: decoded.timestampType, key: r.key, value: r.value });
      }
    }
  }
  return { records: encodeMessageSet(out, magic) };
}

/** A stored batch that cannot be converted says so: the client may still read it with Fetch v4+. */
function explain(error: SkeinError): SkeinError {
  return new SkeinError(error.code, `a stored batch cannot be converted to an old message format (${error.message}); Fetch v4+ reads it as stored`, { cause: error });
}
