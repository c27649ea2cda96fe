/**
 * The admin port's costs, measured in one run:
 *  1. Produce and consume throughput over the Kafka protocol (kafkajs, in process, 4
 *     partitions, batches of 100 records of 100 bytes) with the metrics observer off and on,
 *     in alternating rounds (the median of each); the target is under 3% cost.
 *  2. The web console's load time in headless Chromium with 1,000 partitions (one topic of
 *     1,000): navigation to the first full render, median of 5, and the /api/overview size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { chromium } from 'playwright-core';
import { Skein } from '../src/client/skein.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { printEnvironment, QUICK } from './harness.js';

const { Kafka, logLevel } = kafkajs;
const root = mkdtempSync(join(tmpdir(), 'skein-bench-admin-'));
const ROUNDS = QUICK ? 2 : 5;
const BATCHES = QUICK ? 100 : 400;
const PARTITIONS = 4;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function throughput(): Promise<void> {
  const skein = await Skein.open({ dir: join(root, 'throughput') });
  const listener = await skein.listen({ port: 0 });
  const admin = await skein.listenAdmin({ port: 0 });
  const servers = (skein as unknown as { servers: Set<{ observe(o: unknown): void; observer: unknown }> }).servers;
  const metricsObserver = [...servers][0]!.observer;
  const setMetrics = (on: boolean) => {
    for (const s of servers) s.observe(on ? metricsObserver : undefined);
  };
  const kafka = new Kafka({ clientId: 'bench-admin', brokers: [listener.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const value = Buffer.alloc(100, 0x61);
  const messages = Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value }));
  await skein.admin.createTopics({ topics: [{ topic: 'bench', numPartitions: PARTITIONS }] });
  let group = 0;

  const produceRound = async () => {
    const started = performance.now();
    for (let i = 0; i < BATCHES; i++) await producer.send({ topic: 'bench', acks: 1, messages });
    return (BATCHES * 100) / ((performance.now() - started) / 1000);
  };
  const consumeRound = async () => {
    const consumer = kafka.consumer({ groupId: `bench-${group++}`, maxBytesPerPartition: 1 << 20 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'bench', fromBeginning: true });
    const target = (await skein.admin.fetchTopicOffsets('bench')).reduce((n, o) => n + Number(o.high), 0);
    let seen = 0;
    const started = performance.now();
    await new Promise<void>((resolve) =>
      consumer.run({
        eachBatch: async ({ batch }) => {
          seen += batch.messages.length;
          if (seen >= target) resolve();
        },
      }),
    );
    const rate = seen / ((performance.now() - started) / 1000);
    await consumer.disconnect();
    return rate;
  };

  await produceRound(); // warm-up
  const produce = { off: [] as number[], on: [] as number[] };
  const consume = { off: [] as number[], on: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      setMetrics(mode === 'on');
      produce[mode].push(await produceRound());
      consume[mode].push(await consumeRound());
    }
  }
  setMetrics(true);
  const scrape = await (await fetch(`${admin.url}/metrics`)).text();
  await producer.disconnect();
  await skein.close();

  console.log(`\n## metrics on vs off (kafkajs over the protocol, in process, ${PARTITIONS} partitions, ${BATCHES} x 100 records of 100 B per round, median of ${ROUNDS})`);
  console.log('| path | metrics off | metrics on | on / off |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, m] of [['produce (acks=1)', produce], ['consume (eachBatch)', consume]] as const) {
    const off = median(m.off);
    const on = median(m.on);
    console.log(`| ${name} | ${Math.round(off).toLocaleString('en')} records/s | ${Math.round(on).toLocaleString('en')} records/s | ${(on / off).toFixed(3)} |`);
  }
  console.log(`(/metrics after the run: ${scrape.length.toLocaleString('en')} bytes)`);
}

async function consoleLoad(): Promise<void> {
  const skein = await Skein.open({ dir: join(root, 'console') });
  await skein.admin.createTopics({ topics: [{ topic: 'wide', numPartitions: 1000 }] });
  const producer = skein.producer();
  await producer.send({ topic: 'wide', messages: Array.from({ length: 2000 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  const admin = await skein.listenAdmin({ port: 0 });
  const overviewStarted = performance.now();
  const overview = await (await fetch(`${admin.url}/api/overview`)).text();
  const overviewMs = performance.now() - overviewStarted;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const loads: number[] = [];
  const expand: number[] = [];
  for (let i = 0; i < (QUICK ? 3 : 5); i++) {
    const page = await browser.newPage();
    const started = performance.now();
    await page.goto(admin.url);
    await page.waitForSelector('body[data-loaded="true"]');
    loads.push(performance.now() - started);
    const clicked = performance.now();
    await page.click('#topics tr[data-topic="wide"]');
    await page.waitForSelector('#partitions tr[data-partition="999"]');
    expand.push(performance.now() - clicked);
    await page.close();
  }
  await browser.close();
  await skein.close();
  console.log('\n## web console, one topic of 1,000 partitions (headless Chromium, median of runs)');
  console.log(`| first full render | ${median(loads).toFixed(0)} ms |`);
  console.log(`| show the 1,000 partition rows | ${median(expand).toFixed(0)} ms |`);
  console.log(`| /api/overview | ${overview.length.toLocaleString('en')} bytes in ${overviewMs.toFixed(1)} ms |`);
}

/** The observer's own cost per answered request, against the broker's append of the same request's batches, in one run. */
async function observerCost(): Promise<void> {
  const skein = await Skein.open({ dir: join(root, 'observer') });
  await skein.admin.createTopics({ topics: [{ topic: 'bench', numPartitions: 2 }] });
  const admin = await skein.listenAdmin({ port: 0 });
  const metrics = admin.metrics!;
  const value = Buffer.alloc(100, 0x61);
  const batch = encodeRecordBatch(Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value })));
  const event = {
    apiKey: 0,
    api: 'Produce',
    apiVersion: 7,
    request: { topicData: [{ name: 'bench', partitionData: [{ index: 0, records: batch }, { index: 1, records: batch }] }] },
    response: { responses: [{ name: 'bench', partitionResponses: [{ index: 0, errorCode: 0 }, { index: 1, errorCode: 0 }] }] },
    failed: false,
    errorCode: 0,
    seconds: 0.001,
  };
  const n = QUICK ? 2_000 : 10_000;
  const observe = () => {
    const t = performance.now();
    for (let i = 0; i < n; i++) metrics.observe(event);
    return (performance.now() - t) / n;
  };
  const append = async () => {
    const t = performance.now();
    for (let i = 0; i < n / 10; i++) {
      await skein.broker.produce('bench', 0, Buffer.from(batch), 1);
      await skein.broker.produce('bench', 1, Buffer.from(batch), 1);
    }
    return (performance.now() - t) / (n / 10);
  };
  observe();
  await append();
  const observeMs: number[] = [];
  const appendMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    observeMs.push(observe());
    appendMs.push(await append());
  }
  await skein.close();
  const o = median(observeMs) * 1000;
  const a = median(appendMs) * 1000;
  console.log('\n## metrics observer per produce request (2 partitions x 100 records of 100 B), median of rounds');
  console.log(`| broker append of the request's two batches (baseline) | ${a.toFixed(1)} us |`);
  console.log(`| metrics observer for that request | ${o.toFixed(2)} us (${((o / a) * 100).toFixed(2)}% of the append alone) |`);
}

printEnvironment();
try {
  await observerCost();
  await throughput();
  await consoleLoad();
} finally {
  rmSync(root, { recursive: true, force: true });
}
