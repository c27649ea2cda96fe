/**
 * The web console in real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) against an embedded Skein with traffic from kafkajs: the topic table shows
 * the topic and its record count, the group shows its member-less state and the lag per
 * partition, the message browser shows the record this test produced (key, header, value as
 * text, JSON and hex). Screenshots go to a temp folder and are checked to be PNGs of the page.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { chromium, type Browser } from 'playwright-core';
import { Skein } from '../../src/client/skein.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const { Kafka, logLevel } = kafkajs;
const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser | undefined;
test.after(async () => {
  await browser?.close();
  if (!process.env.SKEIN_KEEP_SCREENSHOTS) cleanupTempDirs();
});

(existsSync(CHROMIUM) ? test : test.skip)('console: topic, group lag and the produced message, in Chromium', async () => {
  const skein = await Skein.open({ dir: tempDir() });
  try {
    const { bootstrap } = await skein.listen({ port: 0 });
    const admin = await skein.listenAdmin({ port: 0 });
    await skein.admin.createTopics({ topics: [{ topic: 'console-orders', numPartitions: 3 }] });
    const kafka = new Kafka({ clientId: 'console-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'console-orders', messages: [{ partition: 1, key: 'order-17', value: JSON.stringify({ total: 42, item: 'teapot' }), headers: { source: 'web' } }] });
    // A group that consumed one record of partition 1, then five more arrived: lag 5.
    const consumer = kafka.consumer({ groupId: 'console-billing' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'console-orders', fromBeginning: true });
    await new Promise<void>((resolve) => consumer.run({ eachMessage: async () => resolve() }));
    await consumer.disconnect();
    await producer.send({ topic: 'console-orders', messages: Array.from({ length: 5 }, (_, i) => ({ partition: 1, value: `later-${i}` })) });
    await producer.disconnect();

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(30_000);
    await page.goto(admin.url);
    await page.waitForSelector('body[data-loaded="true"]');
    const shots = tempDir('skein-console-shots-');

    const row = page.locator('#topics tr[data-topic="console-orders"]');
    assert.is(await row.locator('td').nth(1).textContent(), '3');
    assert.is(await row.locator('.records').textContent(), '6');
    assert.is((await page.textContent('#status'))?.trim(), 'ready');

    const lagCell = page.locator('#groups tr[data-group="console-billing"][data-partition="1"] .lag');
    assert.is(await lagCell.textContent(), '5');
    assert.is(await page.locator('.group[data-group="console-billing"] .total-lag').textContent(), '5');
    await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });

    await row.click();
    await page.waitForSelector('#partitions:not([hidden])');
    await page.click('#partitions a[data-browse="1"]');
    await page.waitForSelector('#messages tr[data-offset="0"]');
    const first = page.locator('#messages tr[data-offset="0"]');
    assert.is(await first.locator('.key').textContent(), 'order-17');
    assert.is(await first.locator('.headers').textContent(), 'source=web');
    assert.is(await first.locator('td').nth(4).textContent(), '{"total":42,"item":"teapot"}');
    assert.is(await page.locator('#messages tbody tr').count(), 6);
    await page.selectOption('#browse-format', 'json');
    await page.waitForFunction(`document.querySelector('#messages tr[data-offset="0"] td:nth-child(5)')?.textContent?.includes('\\n')`);
    assert.is(await first.locator('td').nth(4).textContent(), '{\n  "total": 42,\n  "item": "teapot"\n}');
    await page.screenshot({ path: join(shots, 'messages-json.png'), fullPage: true });
    await page.selectOption('#browse-format', 'hex');
    await page.waitForFunction(`document.querySelector('#messages tr[data-offset="0"] td:nth-child(5)')?.textContent?.startsWith('7b 22')`);

    for (const name of ['overview.png', 'messages-json.png']) {
      const png = readFileSync(join(shots, name));
      assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${name} is a PNG`);
      assert.ok(png.readUInt32BE(16) === 1280 && png.readUInt32BE(20) >= 1000, `${name} is the full page`);
      assert.ok(png.length > 20_000, `${name} has content`);
    }
    if (process.env.SKEIN_KEEP_SCREENSHOTS) process.stderr.write(`screenshots in ${shots}\n`);
  } finally {
    await skein.close();
  }
});

test.run();
