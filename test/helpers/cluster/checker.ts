/**
 * The history checker for fault tests, after Jepsen's Kafka/queue workloads: producers record
 * every record they attempt and every acknowledgement they get (topic, partition, offset,
 * value); after the faults heal the test reads every partition back from the cluster; `check`
 * compares the two and lists each anomaly:
 *
 * - lost: an acknowledged value that is not in the read-back (the one thing acks=all promises
 *   never to do).
 * - moved: an acknowledged value read at a different offset than its acknowledgement named
 *   (the acknowledged offset was given away: a truncated tail re-used it).
 * - duplicated: a value read more than once (an idempotent producer must never write twice).
 * - unexpected: a value read that no producer ever attempted (garbage or a foreign record).
 * - reordered: per writer and partition, values read in a different order than they were
 *   sent (writers send one at a time and number their values, so the send order is known).
 * - offsetsNotIncreasing: offsets of a partition's read-back that do not strictly increase.
 *
 * Values are `<writer>:<seq>` strings (see `valueOf`); a value is attempted once, never re-sent
 * after a failed send (a re-send would make a legitimate duplicate). Records attempted but not
 * acknowledged may or may not be present: both are fine, but at most once and in order.
 *
 * Pure data in, data out: no sockets, no clients; unit-tested on hand-made histories.
 */

export interface Ack {
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

export interface ReadRecord {
  offset: number;
  value: string;
}

/** Everything read back, by `topic/partition`. */
export type ReadBack = Map<string, ReadRecord[]>;

export interface Anomaly {
  kind: 'lost' | 'moved' | 'duplicated' | 'unexpected' | 'reordered' | 'offsetsNotIncreasing';
  topic: string;
  partition: number;
  value?: string;
  detail: string;
}

export interface CheckResult {
  ok: boolean;
  attempted: number;
  acknowledged: number;
  read: number;
  /** Read back but never acknowledged (allowed: the ack was lost, the write was not). */
  unacknowledgedPresent: number;
  anomalies: Anomaly[];
  counts: Record<Anomaly['kind'], number>;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export function valueOf(writer: string, seq: number): string {
  return `${writer}:${seq}`;
}

/** `w1:17` → { writer: 'w1', seq: 17 }; undefined for anything else. */
export function parseValue(value: string): { writer: string; seq: number } | undefined {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const seq = Number(value.slice(colon + 1));
  if (!Number.isSafeInteger(seq) || seq < 0 || String(seq) !== value.slice(colon + 1)) return undefined;
  return { writer: value.slice(0, colon), seq };
}

/** What producers did: every attempt (before sending) and every acknowledgement. */
export class History {
  private readonly attemptedValues = new Set<string>();
  readonly acks: Ack[] = [];
  /** Failed sends by error name, for the failure message (not an anomaly: unacked is allowed). */
  readonly failures = new Map<string, number>();

  attempt(value: string): void {
    if (this.attemptedValues.has(value)) throw new Error(`value ${value} attempted twice: a checker history needs each value sent once`);
    this.attemptedValues.add(value);
  }

  ack(ack: Ack): void {
    if (!this.attemptedValues.has(ack.value)) throw new Error(`acknowledged ${ack.value} was never attempted`);
    this.acks.push(ack);
  }

  fail(error: unknown): void {
    const e = error as { type?: string; name?: string; message?: string } | undefined;
    const name = `${e?.type ?? e?.name ?? String(error)}${e?.message ? `: ${e.message.slice(0, 80)}` : ''}`;
    this.failures.set(name, (this.failures.get(name) ?? 0) + 1);
  }

  attempted(value: string): boolean {
    return this.attemptedValues.has(value);
  }

  get attemptedCount(): number {
    return this.attemptedValues.size;
  }

  /** The partitions that were written, as `topic/partition` keys, with their acked offsets' maximum. */
  partitions(): Map<string, { topic: string; partition: number }> {
    const out = new Map<string, { topic: string; partition: number }>();
    for (const a of this.acks) out.set(partitionKey(a.topic, a.partition), { topic: a.topic, partition: a.partition });
    return out;
  }
}

export function check(history: History, readBack: ReadBack): CheckResult {
  const anomalies: Anomaly[] = [];
  // Where each value was read: value → [topic/partition, offset][].
  const seenAt = new Map<string, { topic: string; partition: number; offset: number }[]>();
  let read = 0;
  for (const [key, records] of readBack) {
    const slash = key.lastIndexOf('/');
    const topic = key.slice(0, slash);
    const partition = Number(key.slice(slash + 1));
    let lastOffset = -1;
    const lastSeqOf = new Map<string, { seq: number; offset: number }>();
    for (const r of records) {
      read += 1;
      if (r.offset <= lastOffset) {
        anomalies.push({ kind: 'offsetsNotIncreasing', topic, partition, value: r.value, detail: `offset ${r.offset} read after ${lastOffset}` });
      }
      lastOffset = Math.max(lastOffset, r.offset);
      const places = seenAt.get(r.value) ?? [];
      places.push({ topic, partition, offset: r.offset });
      seenAt.set(r.value, places);
      if (!history.attempted(r.value)) {
        anomalies.push({ kind: 'unexpected', topic, partition, value: r.value, detail: `read at offset ${r.offset}, never attempted` });
        continue;
      }
      const parsed = parseValue(r.value);
      if (!parsed) continue;
      const previous = lastSeqOf.get(parsed.writer);
      if (previous && parsed.seq <= previous.seq) {
        anomalies.push({
          kind: 'reordered',
          topic,
          partition,
          value: r.value,
          detail: `${r.value} at offset ${r.offset} after ${parsed.writer}:${previous.seq} at offset ${previous.offset}`,
        });
      }
      if (!previous || parsed.seq > previous.seq) lastSeqOf.set(parsed.writer, { seq: parsed.seq, offset: r.offset });
    }
  }
  for (const [value, places] of seenAt) {
    if (places.length > 1) {
      const first = places[0]!;
      anomalies.push({
        kind: 'duplicated',
        topic: first.topic,
        partition: first.partition,
        value,
        detail: `read ${places.length} times: ${places.map((p) => `${p.topic}/${p.partition}@${p.offset}`).join(', ')}`,
      });
    }
  }
  const acked = new Set<string>();
  for (const a of history.acks) {
    acked.add(a.value);
    const places = seenAt.get(a.value);
    if (!places) {
      anomalies.push({ kind: 'lost', topic: a.topic, partition: a.partition, value: a.value, detail: `acknowledged at offset ${a.offset} (${a.value}), not read back` });
      continue;
    }
    if (!places.some((p) => p.topic === a.topic && p.partition === a.partition && p.offset === a.offset)) {
      const where = places.map((p) => `${p.topic}/${p.partition}@${p.offset}`).join(', ');
      anomalies.push({ kind: 'moved', topic: a.topic, partition: a.partition, value: a.value, detail: `acknowledged at offset ${a.offset}, read at ${where}` });
    }
  }
  let unacknowledgedPresent = 0;
  for (const value of seenAt.keys()) if (!acked.has(value) && history.attempted(value)) unacknowledgedPresent += 1;
  const counts = { lost: 0, moved: 0, duplicated: 0, unexpected: 0, reordered: 0, offsetsNotIncreasing: 0 };
  for (const a of anomalies) counts[a.kind] += 1;
  return {
    ok: anomalies.length === 0,
    attempted: history.attemptedCount,
    acknowledged: history.acks.length,
    read,
    unacknowledgedPresent,
    anomalies,
    counts,
  };
}

/** One paragraph for a failed assertion: the counts and the first anomalies of each kind. */
export function describe(result: CheckResult, limit = 5): string {
  const lines = [
    `attempted ${result.attempted}, acknowledged ${result.acknowledged}, read back ${result.read} (${result.unacknowledgedPresent} unacknowledged but present)`,
    `anomalies: ${Object.entries(result.counts).map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ];
  const shown = new Map<string, number>();
  for (const a of result.anomalies) {
    const n = shown.get(a.kind) ?? 0;
    if (n >= limit) continue;
    shown.set(a.kind, n + 1);
    lines.push(`  ${a.kind} ${a.topic}/${a.partition}: ${a.detail}`);
  }
  return lines.join('\n');
}
