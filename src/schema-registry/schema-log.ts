/**
 * Where the registry keeps its records: partition 0 of the compacted topic `_schemas`, through
 * the broker (so the topic replicates and is compacted like any other). Created on first use
 * with cleanup.policy=compact and flush.messages=1: a registry write is acknowledged only once
 * it is on disk, so a registered schema survives a SIGKILL or a power loss.
 *
 * Lifecycle: `open` creates the topic when missing; `replay` reads it from the log start;
 * `append` writes one record. Runs on the event loop; knows nothing of HTTP.
 */
import type { Broker } from '../broker/broker.js';
import { encodeRecordBatch } from '../records/encode-record-batch.js';
import { iterateRecords, iterateBatches } from '../records/record-iterator.js';
import { readLastOffset } from '../records/batch-header.js';
import { SkeinError } from '../errors.js';

export const SCHEMAS_TOPIC = '_schemas';

export interface StoredRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

export class SchemaLog {
  private readonly broker: Broker;
  readonly topic: string;

  private constructor(broker: Broker, topic: string) {
    this.broker = broker;
    this.topic = topic;
  }

  static async open(broker: Broker, topic = SCHEMAS_TOPIC): Promise<SchemaLog> {
    if (!broker.hasTopic(topic)) {
      try {
        await broker.createTopic({
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'flush.messages', value: '1' },
          ],
        });
      } catch (err) {
        if (!(err instanceof SkeinError && err.code === 'SKEIN_TOPIC_ALREADY_EXISTS')) throw err;
      }
    }
    return new SchemaLog(broker, topic);
  }

  /** Every record from the log start, in offset order (what compaction left of the history). */
  async *replay(): AsyncGenerator<StoredRecord> {
    let offset = this.broker.offsets(this.topic, 0).logStartOffset;
    for (;;) {
      const end = this.broker.offsets(this.topic, 0).highWatermark;
      if (offset >= end) return;
      const fetched = await this.broker.fetch({
        maxWaitMs: 0,
        partitions: [{ topic: this.topic, partition: 0, fetchOffset: offset, maxBytes: 4 * 1024 * 1024 }],
      });
      const read = fetched.partitions[0]!;
      if (read.error) throw read.error;
      if (read.records.length === 0) return;
      let next = offset;
      for (const view of read.records) {
        for (const batch of iterateBatches(view)) {
          for (const record of iterateRecords(batch)) {
            if (record.offset < offset) continue;
            yield { offset: record.offset, key: record.key, value: record.value };
          }
          next = Math.max(next, readLastOffset(batch, 0) + 1);
        }
      }
      if (next <= offset) return;
      offset = next;
    }
  }

  /** Appends one record and resolves once it is flushed (the topic's flush.messages=1). */
  async append(key: string, value: string | null): Promise<number> {
    const result = await this.broker.produce(this.topic, 0, encodeRecordBatch([{ key, value }]), -1);
    return result.baseOffset;
  }
}
