/**
 * The Prometheus metrics of one broker, in a prom-client registry of its own (never the
 * global one: two Skeins in a process must not mix). Names follow Prometheus conventions
 * (snake_case, base units, `_total` counters) and Kafka's JMX names as the usual
 * jmx_exporter rules render them, where Kafka has the metric:
 *
 *   kafka_server_brokertopicmetrics_{messagesin,bytesin,bytesout}_total{topic,partition}
 *   kafka_server_brokertopicmetrics_failed{produce,fetch}requests_total{topic}
 *   kafka_network_requestmetrics_requests_total{request}, _errors_total{request,error},
 *   kafka_network_requestmetrics_totaltime_seconds{request} (histogram)
 *   kafka_log_log_{size_bytes,numlogsegments,logstartoffset,logendoffset}{topic,partition}
 *   kafka_consumergroup_{lag,current_offset}{consumergroup,topic,partition} (kafka_exporter's names)
 *   kafka_log_logflushstats_logflushrateandtime_seconds (histogram, flush start to done)
 *   skein_workerpool_{queued,running}_tasks, skein_workerpool_threads (the partitions' worker pool)
 *   kafka_server_socketservermetrics_connection_count, and Node's defaults (nodejs_eventloop_lag_*,
 *   process_*, GC) for event-loop delay and memory.
 *
 * Records and bytes in come from each Partition's `appended` event and flush times from its
 * `flushed` event, so the embedded producer and Kafka clients are counted alike, once; the
 * broker tells which partitions exist as topics come and go (Broker.observe). Records and bytes
 * out come from the broker's fetch results, which both the protocol Fetch handler and the
 * embedded consumer go through. Request counts, latency and errors per API come from the
 * protocol server's request observer (observe()). Gauges are computed at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Broker, BrokerObserver } from '../broker/broker.js';
import type { FetchResult } from '../broker/types.js';
import { kafkaErrorName } from '../protocol/error-codes.js';
import type { RequestEvent } from '../protocol/server/observer.js';
import { groups, topics } from './broker-view.js';

/** A partition as the broker hands it out (admin reads the broker, never the partition layer). */
type Partition = Parameters<NonNullable<BrokerObserver['partitionAdded']>>[0];

const PRODUCE = 0;
const FETCH = 1;

interface ProduceResponseShape {
  responses: Array<{ name: string; partitionResponses: Array<{ index: number; errorCode: number }> }>;
}
interface FetchResponseShape {
  responses: Array<{ topic: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

/** Records and bytes of RecordBatch v2 bytes, read from the batch headers. */
export function countRecords(records: Buffer | readonly Buffer[] | null): { records: number; bytes: number } {
  if (records === null) return { records: 0, bytes: 0 };
  let count = 0;
  let bytes = 0;
  for (const chunk of Buffer.isBuffer(records) ? [records] : records) {
    bytes += chunk.length;
    for (let at = 0; at + 61 <= chunk.length; ) {
      const size = 12 + chunk.readInt32BE(at + 8);
      if (size < 61 || at + size > chunk.length) break;
      count += chunk.readInt32BE(at + 57);
      at += size;
    }
  }
  return { records: count, bytes };
}

export interface MetricsSource {
  broker: Broker;
  /** Open protocol connections now. */
  connections(): number;
}

export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly messagesIn: Counter<'topic' | 'partition'>;
  private readonly bytesIn: Counter<'topic' | 'partition'>;
  private readonly bytesOut: Counter<'topic' | 'partition'>;
  private readonly messagesOut: Counter<'topic' | 'partition'>;
  private readonly failedProduce: Counter<'topic'>;
  private readonly failedFetch: Counter<'topic'>;
  private readonly requests: Counter<'request'>;
  private readonly errors: Counter<'request' | 'error'>;
  private readonly latency: Histogram<'request'>;
  private readonly flushTime: Histogram;
  /** Per partition key: the functions that unsubscribe from its events. */
  private readonly subscriptions = new Map<string, Array<() => void>>();
  private readonly stopObserving: () => void;
  /** Label children per topic-partition and per API: prom-client hashes a labels object on every inc otherwise. */
  private readonly partitionChildren = new Map<string, { messagesIn: { inc(n: number): void }; bytesIn: { inc(n: number): void }; bytesOut: { inc(n: number): void }; messagesOut: { inc(n: number): void } }>();
  private readonly apiChildren = new Map<string, { requests: { inc(): void }; latency: { observe(v: number): void } }>();
  /** Per topic totals the console charts (the counters above are per partition). */
  readonly topicTotals = new Map<string, { bytesIn: number; messagesIn: number; bytesOut: number }>();

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    this.messagesIn = new Counter({ name: 'kafka_server_brokertopicmetrics_messagesin_total', help: 'Records appended (embedded and Kafka-protocol producers), per topic and partition', labelNames: ['topic', 'partition'], registers });
    this.bytesIn = new Counter({ name: 'kafka_server_brokertopicmetrics_bytesin_total', help: 'Bytes of record batches appended by producers (embedded and Kafka protocol)', labelNames: ['topic', 'partition'], registers });
    this.bytesOut = new Counter({ name: 'kafka_server_brokertopicmetrics_bytesout_total', help: 'Bytes of record batches returned by fetches (embedded consumers and Kafka protocol)', labelNames: ['topic', 'partition'], registers });
    this.messagesOut = new Counter({ name: 'skein_fetch_records_total', help: 'Records in the batches returned by fetches (whole batches: may include records before the fetch offset)', labelNames: ['topic', 'partition'], registers });
    this.failedProduce = new Counter({ name: 'kafka_server_brokertopicmetrics_failedproducerequests_total', help: 'Produce partitions answered with an error', labelNames: ['topic'], registers });
    this.failedFetch = new Counter({ name: 'kafka_server_brokertopicmetrics_failedfetchrequests_total', help: 'Fetch partitions answered with an error', labelNames: ['topic'], registers });
    this.requests = new Counter({ name: 'kafka_network_requestmetrics_requests_total', help: 'Requests answered, per API', labelNames: ['request'], registers });
    this.errors = new Counter({ name: 'kafka_network_requestmetrics_errors_total', help: 'Errors answered, per API and Kafka error name (per partition for Produce and Fetch)', labelNames: ['request', 'error'], registers });
    this.latency = new Histogram({
      name: 'kafka_network_requestmetrics_totaltime_seconds',
      help: 'Time from a decoded request to its encoded response, per API',
      labelNames: ['request'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });

    this.flushTime = new Histogram({
      name: 'kafka_log_logflushstats_logflushrateandtime_seconds',
      help: 'Time from the start of a partition log flush (msync) to its completion',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });

    const broker = source.broker;
    const poolGauge = (name: string, help: string, read: (pool: NonNullable<Broker['workerPool']>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const pool = broker.workerPool;
          this.set(pool && !broker.closed ? read(pool) : 0);
        },
      });
    poolGauge('skein_workerpool_queued_tasks', 'Tasks waiting for a worker thread of the partitions\' pool (decompression, validation)', (pool) => pool.queued);
    poolGauge('skein_workerpool_running_tasks', 'Tasks handed to the partitions\' worker threads (one running per thread, the rest next in line there)', (pool) => pool.running);
    poolGauge('skein_workerpool_threads', 'Worker threads (lanes) of the partitions\' pool', (pool) => pool.size);
    const logGauge = (name: string, help: string, read: (p: { sizeBytes: number; segments: number; logStartOffset: number; highWatermark: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['topic', 'partition'],
        registers,
        collect() {
          this.reset();
          if (broker.closed) return;
          for (const t of topics(broker)) {
            for (const p of t.partitions) {
              // Logs this broker holds (as Kafka's kafka.log:type=Log): in a cluster, others hold the rest.
              if (broker.localReplica(t.name, p.partition) !== undefined) this.set({ topic: t.name, partition: String(p.partition) }, read(p));
            }
          }
        },
      });
    logGauge('kafka_log_log_size_bytes', 'Bytes of record batches held by the partition log', (p) => p.sizeBytes);
    logGauge('kafka_log_log_numlogsegments', 'Segment files of the partition log', (p) => p.segments);
    logGauge('kafka_log_log_logstartoffset', 'First offset held by the partition log', (p) => p.logStartOffset);
    logGauge('kafka_log_log_logendoffset', 'Offset the next record appended gets', (p) => p.highWatermark);
    const groupGauge = (name: string, help: string, read: (o: { lag: number; committedOffset: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['consumergroup', 'topic', 'partition'],
        registers,
        collect() {
          this.reset();
          if (broker.closed) return;
          for (const g of groups(broker)) for (const o of g.offsets) this.set({ consumergroup: g.groupId, topic: o.topic, partition: String(o.partition) }, read(o));
        },
      });
    groupGauge('kafka_consumergroup_lag', 'Records between the committed offset and the log end offset', (o) => o.lag);
    groupGauge('kafka_consumergroup_current_offset', 'Committed offset of the group', (o) => o.committedOffset);
    new Gauge({
      name: 'kafka_server_socketservermetrics_connection_count',
      help: 'Open Kafka protocol connections',
      registers,
      collect() {
        this.set(source.connections());
      },
    });
    collectDefaultMetrics({ register: this.registry });
    this.stopObserving = broker.observe({
      partitionAdded: (p) => this.subscribe(p),
      partitionRemoved: (p) => this.unsubscribe(p),
      fetched: (result) => this.onFetched(result),
    });
  }

  /** Stops counting (the broker's events no longer reach this registry). */
  detach(): void {
    this.stopObserving();
    for (const unsubscribe of this.subscriptions.values()) for (const u of unsubscribe) u();
    this.subscriptions.clear();
  }

  private subscribe(partition: Partition): void {
    if (this.subscriptions.has(partition.key)) return;
    const { topic } = partition;
    const c = this.children(topic, partition.partition);
    this.subscriptions.set(partition.key, [
      partition.on('appended', (e) => {
        c.messagesIn.inc(e.records);
        c.bytesIn.inc(e.bytes);
        const totals = this.totals(topic);
        totals.messagesIn += e.records;
        totals.bytesIn += e.bytes;
      }),
      partition.on('flushed', (e) => this.flushTime.observe(e.seconds)),
    ]);
  }

  /**
   * A partition deleted or moved to other brokers: its series go (a topic created again under
   * the name starts from 0); the topic's totals go with its last partition held here.
   */
  private unsubscribe(partition: Partition): void {
    for (const u of this.subscriptions.get(partition.key) ?? []) u();
    this.subscriptions.delete(partition.key);
    const labels = [partition.topic, String(partition.partition)];
    for (const counter of [this.messagesIn, this.bytesIn, this.bytesOut, this.messagesOut]) counter.remove(...labels);
    this.partitionChildren.delete(partition.key);
    const prefix = `${partition.topic}\u0000`;
    if (![...this.subscriptions.keys()].some((key) => key.startsWith(prefix))) this.topicTotals.delete(partition.topic);
  }

  /** The protocol server's request observer. */
  readonly observe = (event: RequestEvent): void => {
    const request = event.api;
    let api = this.apiChildren.get(request);
    if (!api) this.apiChildren.set(request, (api = { requests: this.requests.labels(request), latency: this.latency.labels(request) }));
    api.requests.inc();
    api.latency.observe(event.seconds);
    if (event.failed) {
      this.errors.inc({ request, error: kafkaErrorName(event.errorCode) ?? String(event.errorCode) });
      return;
    }
    // Traffic is counted from the partitions and the broker's fetches; here only the errors.
    if (event.apiKey === PRODUCE && event.response) this.onProduceErrors(event.response as ProduceResponseShape);
    else if (event.apiKey === FETCH && event.response) this.onFetchErrors(event.response as FetchResponseShape);
  };

  private children(topic: string, partition: number) {
    const key = `${topic}\0${partition}`;
    let c = this.partitionChildren.get(key);
    if (!c) {
      const labels = [topic, String(partition)];
      c = { messagesIn: this.messagesIn.labels(...labels), bytesIn: this.bytesIn.labels(...labels), bytesOut: this.bytesOut.labels(...labels), messagesOut: this.messagesOut.labels(...labels) };
      this.partitionChildren.set(key, c);
    }
    return c;
  }

  private totals(topic: string) {
    let t = this.topicTotals.get(topic);
    if (!t) this.topicTotals.set(topic, (t = { bytesIn: 0, messagesIn: 0, bytesOut: 0 }));
    return t;
  }

  private onProduceErrors(response: ProduceResponseShape): void {
    for (const t of response.responses) {
      for (const p of t.partitionResponses) {
        if (p.errorCode === 0) continue;
        this.failedProduce.inc({ topic: t.name });
        this.errors.inc({ request: 'Produce', error: kafkaErrorName(p.errorCode) ?? String(p.errorCode) });
      }
    }
  }

  private onFetchErrors(response: FetchResponseShape): void {
    for (const t of response.responses) {
      for (const p of t.partitions) {
        if (p.errorCode === 0) continue;
        this.failedFetch.inc({ topic: t.topic });
        this.errors.inc({ request: 'Fetch', error: kafkaErrorName(p.errorCode) ?? String(p.errorCode) });
      }
    }
  }

  /** A fetch's result (protocol or embedded consumer): the whole batches returned. */
  private onFetched(result: FetchResult): void {
    for (const p of result.partitions) {
      if (p.error || p.bytes === 0) continue;
      // A partition deleted meanwhile has no series to count into.
      if (!this.subscriptions.has(`${p.topic}\u0000${p.partition}`)) continue;
      const { records, bytes } = countRecords(p.records);
      const c = this.children(p.topic, p.partition);
      c.bytesOut.inc(bytes);
      c.messagesOut.inc(records);
      this.totals(p.topic).bytesOut += bytes;
    }
  }
}
