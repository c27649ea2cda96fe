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
 * Up (Produce v0–2): every message's CRC-32 is checked, then all messages of the set become
 * one uncompressed RecordBatch v2 with CreateTime: magic 1 keeps each message's timestamp,
 * magic 0 has none (-1, Kafka's NO_TIMESTAMP); the log assigns offsets. A set of v2 batches
 * in an old request goes through unchanged (Kafka allows it); a set mixing v2 with 0/1 is
 * refused (SKEIN_UNSUPPORTED_MESSAGE_FORMAT). Any failure leaves the log untouched: nothing
 * is appended unless the whole set converts.
 *
 * Down (Fetch v0–3): each stored batch's records from the fetch offset on become messages of
 * magic 0 (Fetch v0–1) or 1 (v2–3) with their absolute offsets; headers are dropped (v0/v1
 * have none, as Kafka drops them); magic 1 keeps the timestamp and its type (LogAppendTime
 * batches give every message the batch's time); control batches are skipped. The result is
 * uncompressed and capped at the partition's maxBytes, but always holds at least one
 * message when there is one, as Kafka returns at least one.
 *
 * Compressed legacy sets (gzip/snappy/lz4 wrapper messages) are decompressed with
 * src/records/compression/ (snappy: raw or xerial; lz4: Kafka's magic 0/1 framing with the
 * broken header checksum reads like the correct one, since our decoder does not check it),
 * capped at LEGACY_DECOMPRESS_CAP; the log's max.message.bytes then applies to the converted
 * batch. Compressed stored batches are decompressed by decodeRecordBatch on the way down.
 * A batch that still cannot be converted answers an old fetch with its error for the
 * partition (after any messages converted before it, so the consumer gets those first).
 */
import { SkeinError } from '../../errors.js';
import { CURRENT_MAGIC, MAGIC, type CompressionName } from '../../records/batch-header.js';
import { decodeRecordBatch } from '../../records/decode-record-batch.js';
import { encodeRecordBatch, type RecordInput } from '../../records/encode-record-batch.js';
import { decodeMessageSet, encodeMessageSet, innerMessages, isLegacyEntry, sizeOfMessage, type LegacyMagic, type LegacyMessage, type LegacyMessageInput } from '../../records/message-set.js';
import { iterateBatches } from '../../records/record-iterator.js';
import { decompress as decompressRecords } from '../../records/compression/index.js';

/**
 * A legacy wrapper's inner set may not inflate past this (a zip bomb is refused at the cap):
 * the converted batch must fit the topic's max.message.bytes anyway, which this layer does
 * not know, so the cap is the largest value Skein accepts for it in practice (64 MiB).
 */
const LEGACY_DECOMPRESS_CAP = 64 * 1024 * 1024;

/** Decompressors for legacy wrappers, by codec (magic 0/1 know gzip, snappy and lz4). */
const DECOMPRESS: Partial<Record<CompressionName, (compressed: Buffer) => Buffer>> = {
  gzip: (b) => decompressRecords('gzip', b, { maxBytes: LEGACY_DECOMPRESS_CAP }),
  snappy: (b) => decompressRecords('snappy', b, { maxBytes: LEGACY_DECOMPRESS_CAP }),
  lz4: (b) => decompressRecords('lz4', b, { maxBytes: LEGACY_DECOMPRESS_CAP }),
};

/** The message format an old Fetch version can read: magic 0 up to v1, magic 1 for v2–3 (KIP-32). */
export function fetchMagic(apiVersion: number): LegacyMagic {
  return apiVersion >= 2 ? 1 : 0;
}

/**
 * The bytes to append for a Produce v0–2 partition: `records` itself when it holds v2
 * batches, else its legacy messages as one RecordBatch v2. Throws a SkeinError
 * (SKEIN_CORRUPT_MESSAGE for a bad CRC or grammar, see message-set.ts) and converts nothing.
 */
export function legacyToBatch(records: Buffer): Buffer {
  if (records.length > MAGIC && records[MAGIC] === CURRENT_MAGIC) return records;
  if (!isLegacyEntry(records)) {
    throw new SkeinError('SKEIN_CORRUPT_MESSAGE', `a produce request's records start with neither a message (magic 0/1) nor a batch (magic 2)`, {
      size: records.length,
    });
  }
  const messages: LegacyMessage[] = [];
  for (const m of decodeMessageSet(records)) {
    if (m.compression === 'none') messages.push(m);
    else messages.push(...innerMessages(m, decompress(m.compression, m.value)));
  }
  if (messages.length === 0) throw new SkeinError('SKEIN_INVALID_RECORD', 'a produce request with an empty message set');
  const inputs: RecordInput[] = messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp }));
  return encodeRecordBatch(inputs, { timestampType: 'create' });
}

function decompress(codec: CompressionName, value: Buffer | null): Buffer {
  const codecFn = DECOMPRESS[codec];
  if (!codecFn) {
    throw new SkeinError('SKEIN_UNSUPPORTED_COMPRESSION', `compressed legacy messages (${codec}) are not supported yet: produce with compression none or with Produce v3+`, {
      compression: codec,
    });
  }
  if (value === null) throw new SkeinError('SKEIN_CORRUPT_MESSAGE', 'a compressed wrapper message without a value');
  return codecFn(value);
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

/** A stored batch that cannot be read without codecs answers UNSUPPORTED_COMPRESSION_TYPE, saying why. */
function explain(error: SkeinError): SkeinError {
  if (error.code !== 'SKEIN_UNSUPPORTED_COMPRESSION') return error;
  return new SkeinError('SKEIN_UNSUPPORTED_COMPRESSION', `a compressed batch cannot be converted to an old message format yet: fetch with Fetch v4+ (${error.message})`);
}
