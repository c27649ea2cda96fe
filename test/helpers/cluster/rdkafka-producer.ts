/**
 * librdkafka as a fault-test producer: Debian's python3-confluent-kafka (over librdkafka) run
 * by /usr/bin/python3 (not the `python3` on PATH, which may be a pyenv shim without the module),
 * idempotent with acks=all, writing numbered values (`rk<p>:<seq>`) to each partition in turn
 * and printing one JSON line per attempt and per delivery report; this module feeds those lines
 * into a checker History. SIGTERM stops producing, flushes (bounded) and exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { History } from './checker.js';
import { track } from './children.js';

export const PYTHON = '/usr/bin/python3';

export const RDKAFKA_AVAILABLE = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { encoding: 'utf8' }).status === 0;

const SCRIPT = String.raw`
import json, signal, sys, time
from confluent_kafka import Producer
bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
def report(err, msg):
    value = msg.value().decode()
    if err is not None:
        out({"e": err.name(), "v": value})
    else:
        out({"p": msg.partition(), "o": msg.offset(), "v": value})
def on_error(err):
    out({"error": err.name(), "fatal": err.fatal(), "reason": err.str()})
producer = Producer({
    "bootstrap.servers": bootstrap,
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    "message.timeout.ms": 60000,
    "retry.backoff.ms": 100,
    "topic.metadata.refresh.interval.ms": 1000,
    "error_cb": on_error,
})
seq = [0] * partitions
while not stop:
    for p in range(partitions):
        value = "rk%d:%d" % (p, seq[p])
        try:
            producer.produce(topic, value=value.encode(), partition=p, on_delivery=report)
        except BufferError:
            producer.poll(0.1)
            continue
        out({"a": value})
        seq[p] += 1
    producer.poll(0)
    time.sleep(0.01)
left = producer.flush(30)
out({"done": True, "unflushed": left})
`;

export class RdkafkaProducer {
  readonly history: History;
  readonly topic: string;
  /** Delivery reports (successful) per partition. */
  readonly acked: number[];
  readonly errors: string[] = [];
  private readonly child: ChildProcess;
  private buffered = '';
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(bootstrap: string[], topic: string, partitions: number, history = new History()) {
    this.history = history;
    this.topic = topic;
    this.acked = new Array<number>(partitions).fill(0);
    this.child = track(spawn(PYTHON, ['-c', SCRIPT, bootstrap.join(','), topic, String(partitions)], { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.child.stdout!.on('data', (chunk: Buffer) => this.consume(chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  private consume(text: string): void {
    this.buffered += text;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      if (!line) continue;
      const event = JSON.parse(line) as { a?: string; p?: number; o?: number; v?: string; e?: string; error?: string; reason?: string; fatal?: boolean };
      if (event.a !== undefined) this.history.attempt(event.a);
      else if (event.p !== undefined) {
        this.history.ack({ topic: this.topic, partition: event.p, offset: event.o!, value: event.v! });
        this.acked[event.p]! += 1;
      } else if (event.e !== undefined) this.history.fail({ type: event.e });
      else if (event.error !== undefined) this.errors.push(`${event.fatal ? 'FATAL ' : ''}${event.error}: ${event.reason}`);
    }
  }

  get output(): string {
    return this.stderr;
  }

  /** SIGTERM, then wait (bounded) for the flush and exit; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 45_000): Promise<number | null> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
