/**
 * The run as markdown: the stamp, what each system promises, then every figure with its
 * ratio. Ratios are Skein / peer (throughput: above 1 Skein is faster; latency: below 1
 * Skein is faster) and Skein / physical baseline (the share of what the machine can do).
 */
import { bytes, bytesRate, micros, rate, ratio, sizeLabel } from './format.js';
import type { Report } from './report-data.js';
import type { ThroughputResult } from './types.js';

const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
const rule = (n: number, firstLeft = 1) => row(Array.from({ length: n }, (_, i) => (i < firstLeft ? '---' : '---:')));

export function find(report: Report, system: string, phase: string, size: number, partitions: number): ThroughputResult | undefined {
  return report.throughput.find((t) => t.system === system && t.phase === phase && t.valueBytes === size && t.partitions === partitions);
}

function throughputTable(report: Report, phase: 'produce' | 'consume'): string[] {
  const combos = report.options.sizes.flatMap((s) => report.options.partitions.map((p) => [s, p] as const));
  const lines = [
    `## ${phase === 'produce' ? 'Produce' : 'Consume'} throughput (records/s; in brackets Skein flush-never / this system)`,
    '',
    row(['system', ...combos.map(([s, p]) => `${sizeLabel(s)} ×${p}`), 'durability']),
    rule(combos.length + 2, 1),
  ];
  for (const info of report.systems.filter((s) => !s.skipped)) {
    const cells = combos.map(([s, p]) => {
      const t = find(report, info.id, phase, s, p);
      const skein = find(report, 'skein', phase, s, p);
      if (!t) return '—';
      return info.id === 'skein' || !skein ? rate(t.recordsPerSec) : `${rate(t.recordsPerSec)} (${ratio(skein.recordsPerSec, t.recordsPerSec)})`;
    });
    lines.push(row([info.label, ...cells, info.durability.policy]));
  }
  const counts = report.options.sizes.map((s) => `${report.options.counts[s]!.toLocaleString('en-US')} × ${sizeLabel(s)}`).join(', ');
  lines.push('', `Records per workload: ${counts}; record i goes to partition i mod P.`, '');
  return lines;
}

function bottleneckTable(report: Report): string[] {
  const p = report.options.partitions[0]!;
  const lines = [
    `## Which side is the bottleneck (${p} partition${p > 1 ? 's' : ''}; CPU as a share of one core over the timed section)`,
    '',
    row(['system', 'phase', ...report.options.sizes.map(sizeLabel)]),
    rule(2 + report.options.sizes.length, 2),
  ];
  for (const info of report.systems.filter((s) => !s.skipped)) {
    for (const phase of ['produce', 'consume'] as const) {
      lines.push(row([info.label, phase, ...report.options.sizes.map((s) => find(report, info.id, phase, s, p)?.bottleneck ?? '—')]));
    }
  }
  lines.push('');
  return lines;
}

function latencyTable(report: Report): string[] {
  const skein = report.latency.find((l) => l.system === 'skein');
  const o = report.options;
  const lines = [
    `## Single-record end-to-end latency (${sizeLabel(o.latencyValueBytes)}, ${o.latencySamples.toLocaleString('en-US')} samples after ${o.latencyWarmup} warm-up, consumer waiting; Skein / this: below 1 Skein is faster)`,
    '',
    row(['system', 'p50', 'p99', 'p99.9', 'max', 'Skein / this (p50, p99)', 'bottleneck', 'an ack means']),
    rule(8, 1),
  ];
  for (const l of report.latency) {
    const info = report.systems.find((s) => s.id === l.system)!;
    const ratios = skein && l.system !== 'skein' ? `${ratio(skein.p50, l.p50)}, ${ratio(skein.p99, l.p99)}` : '—';
    lines.push(row([l.label, micros(l.p50), micros(l.p99), micros(l.p999), micros(l.max), ratios, l.bottleneck, info.durability.ack]));
  }
  lines.push('');
  return lines;
}

/**
 * Skein over the Kafka protocol against the networked peers (client library over loopback to a
 * server process, like it): skein-kafka / peer, throughput above 1 and latency below 1 mean
 * Skein is ahead; and the broker's CPU next to kafkajs's for the same work.
 */
function kafkaTable(report: Report): string[] {
  const kafka = report.systems.find((s) => s.id === 'skein-kafka' && !s.skipped);
  const peers = report.systems.filter((s) => !s.skipped && (s.id === 'redis' || s.id === 'nats'));
  if (!kafka) return [];
  const combos = report.options.sizes.flatMap((s) => report.options.partitions.map((p) => [s, p] as const));
  const lines: string[] = [];
  if (peers.length) {
    lines.push(
      '## Skein over the Kafka protocol against the networked peers (Skein over Kafka / this system; latency: below 1 Skein is faster)',
      '',
      row(['peer', 'phase', ...combos.map(([s, p]) => `${sizeLabel(s)} ×${p}`)]),
      rule(2 + combos.length, 2),
    );
    for (const peer of peers) {
      for (const phase of ['produce', 'consume'] as const) {
        lines.push(row([peer.label, phase, ...combos.map(([s, p]) => {
          const k = find(report, 'skein-kafka', phase, s, p);
          const t = find(report, peer.id, phase, s, p);
          return k && t ? ratio(k.recordsPerSec, t.recordsPerSec) : '—';
        })]));
      }
      const kl = report.latency.find((l) => l.system === 'skein-kafka');
      const pl = report.latency.find((l) => l.system === peer.id);
      if (kl && pl) lines.push(row([peer.label, 'latency p50, p99, p99.9', `${ratio(kl.p50, pl.p50)}, ${ratio(kl.p99, pl.p99)}, ${ratio(kl.p999, pl.p999)}`, ...combos.slice(1).map(() => '')]));
    }
    lines.push('');
  }
  lines.push(
    '### Skein over the Kafka protocol: broker CPU next to kafkajs CPU (share of one core over the timed section)',
    '',
    row(['phase', ...combos.map(([s, p]) => `${sizeLabel(s)} ×${p}`)]),
    rule(1 + combos.length, 1),
  );
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  for (const phase of ['produce', 'consume'] as const) {
    lines.push(row([phase, ...combos.map(([s, p]) => {
      const t = find(report, 'skein-kafka', phase, s, p);
      return t ? `${pct(t.cpu.serverCpuSec / t.cpu.wallSec)} / ${pct(t.cpu.clientCpuSec / t.cpu.wallSec)}` : '—';
    })]));
  }
  const l = report.latency.find((x) => x.system === 'skein-kafka');
  if (l) lines.push(row(['latency', `${pct(l.cpu.serverCpuSec / l.cpu.wallSec)} / ${pct(l.cpu.clientCpuSec / l.cpu.wallSec)}`, ...combos.slice(1).map(() => '')]));
  lines.push('', 'Cells: broker / client.', '');
  return lines;
}

function physicalTables(report: Report): string[] {
  if (report.physical.length === 0) return [];
  const lines = ['## Physical baselines (same run)', '', row(['baseline', 'figure', 'how']), rule(3, 1)];
  for (const p of report.physical) lines.push(row([p.name, p.unit === 'bytes/s' ? bytesRate(p.value) : `${p.value.toFixed(0)} ops/s`, p.detail]));
  const base = (name: string) => report.physical.find((p) => p.name === name)?.value ?? NaN;
  const memcpy = base('memcpy into a mapped file');
  const pageCache = base('disk write (page cache)');
  const synced = base('disk write + fdatasync');
  const crc = base('CRC-32C (addon)');
  const loopback = base('loopback TCP (Node to Node)');
  const p1 = report.options.partitions[0]!;
  lines.push('', `### Skein as a share of the physical baselines (bytes/s of record values, ${p1} partition)`, '');
  lines.push(row(['figure', 'bytes/s', '÷ memcpy into mapping', '÷ write (page cache)', '÷ write + fdatasync', '÷ CRC-32C']), rule(6, 1));
  for (const info of report.systems.filter((s) => !s.skipped && s.id.startsWith('skein'))) {
    for (const phase of ['produce', 'consume'] as const) {
      for (const size of report.options.sizes) {
        const t = find(report, info.id, phase, size, p1);
        if (t) lines.push(row([`${info.label} ${phase} ${sizeLabel(size)}`, bytesRate(t.bytesPerSec), ratio(t.bytesPerSec, memcpy), ratio(t.bytesPerSec, pageCache), ratio(t.bytesPerSec, synced), ratio(t.bytesPerSec, crc)]));
      }
    }
  }
  const networked = report.systems.filter((s) => !s.skipped && (s.id === 'redis' || s.id === 'nats'));
  if (networked.length) {
    lines.push('', `### Networked peers as a share of loopback TCP (${p1} partition)`, '', row(['figure', 'bytes/s', '÷ loopback TCP']), rule(3, 1));
    for (const info of networked) {
      for (const phase of ['produce', 'consume'] as const) {
        for (const size of report.options.sizes) {
          const t = find(report, info.id, phase, size, p1);
          if (t) lines.push(row([`${info.label} ${phase} ${sizeLabel(size)}`, bytesRate(t.bytesPerSec), ratio(t.bytesPerSec, loopback)]));
        }
      }
    }
  }
  lines.push('');
  return lines;
}

function scaleTables(report: Report): string[] {
  const s = report.scale;
  if (!s) return [];
  const lines = ['## Scale (Skein, each row in a fresh process)', '', '### Partitions', ''];
  lines.push(row(['partitions', 'records', 'produce', 'consume', 'create topic', 'RSS', 'open fds', 'mappings', 'RSS per added partition', 'fds per added partition', 'mappings per added partition']), rule(11, 1));
  const first = s.partitions[0];
  for (const p of s.partitions) {
    const added = first && p.partitions > first.partitions ? p.partitions - first.partitions : 0;
    const per = (k: 'rssBytes' | 'fds' | 'maps') => (added ? (p.total[k] - first!.total[k]) / added : NaN);
    lines.push(row([
      p.partitions, p.records.toLocaleString('en-US'), rate(p.produceRps), rate(p.consumeRps), `${(p.createSec * 1000).toFixed(0)} ms`,
      bytes(p.total.rssBytes), p.total.fds.toFixed(0), p.total.maps.toFixed(0),
      added ? bytes(per('rssBytes')) : '—', added ? per('fds').toFixed(2) : '—', added ? per('maps').toFixed(2) : '—',
    ]));
  }
  lines.push('', 'Records of 100 B, segment.bytes 64 MiB. RSS, fds and mappings: what Skein added to the process (after consuming minus before Skein.open); per added partition: the difference to the first row, divided by the partitions added.', '');
  if (s.recovery.length) {
    lines.push('### Recovery after an unclean stop (SIGKILL), one partition, 1 GiB segments', '', row(['log', 'reopen until offsets readable', 'per GiB']), rule(3, 1));
    for (const r of s.recovery) lines.push(row([bytes(r.logBytes), `${(r.openSec * 1000).toFixed(0)} ms`, `${(r.secPerGiB * 1000).toFixed(0)} ms/GiB`]));
    lines.push('');
  }
  if (s.backlog.length) {
    lines.push('### A consumer that starts far behind (1 KiB records, from offset 0)', '', row(['backlog', 'page cache', 'records/s', 'bytes/s']), rule(4, 2));
    for (const b of s.backlog) lines.push(row([bytes(b.logBytes), b.cache === 'warm' ? 'cached (just written)' : 'dropped (read from disk)', rate(b.recordsPerSec), bytesRate(b.bytesPerSec)]));
    lines.push('', `Largest backlog tried: ${bytes(Math.max(...s.backlog.map((b) => b.logBytes)))}.`, '');
  }
  for (const n of s.notes) lines.push(`- ${n}`);
  if (s.notes.length) lines.push('');
  return lines;
}

export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const lines = [
    `# Skein side by side (${report.options.quick ? 'quick' : 'full'} run, ${m.date})`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, disk ${m.disk} (${m.diskFreeGiB} GiB free); ${m.os}; node ${m.node}; commit ${m.commit}; load average ${m.loadAverage?.toFixed(2) ?? '?'} at the start; run took ${report.durationSec.toFixed(0)} s.`,
    '',
    '## Systems and what an acknowledgement means',
    '',
    row(['system', 'version', 'durability', 'an ack means', 'batching']),
    rule(5, 5),
  ];
  for (const s of report.systems) lines.push(row([s.label, s.version, s.durability.policy, s.durability.ack, s.batching]));
  lines.push('');
  for (const s of report.systems.filter((x) => x.skipped)) lines.push(`- SKIPPED ${s.label}: ${s.skipped}`);
  lines.push('');
  lines.push(...physicalTables(report));
  lines.push(...throughputTable(report, 'produce'), ...throughputTable(report, 'consume'));
  lines.push(...bottleneckTable(report));
  lines.push(...latencyTable(report));
  lines.push(...kafkaTable(report));
  lines.push(...scaleTables(report));
  if (report.errors.length) lines.push('## Failed workloads', '', ...report.errors.map((e) => `- ${e}`), '');
  return lines.join('\n') + '\n';
}
