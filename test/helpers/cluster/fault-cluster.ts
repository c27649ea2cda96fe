/**
 * A cluster for fault tests: a real etcd, N broker processes (each behind its TcpProxy for
 * clients and peers, and, when asked, behind a second TcpProxy for its own etcd link, so a test
 * can cut one broker off the coordinator without cutting the others), kafkajs clients through
 * the proxies, and the etcd view of each partition (the agreed truth: leader, epoch, ISR).
 *
 * Lifecycle: `FaultCluster.start()` in a suite's `before`, `close()` in its `after`. Restarting a
 * SIGKILLed broker waits until its old registration (lease) is gone from etcd first, because a
 * second live broker with the same node id is refused.
 */
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Etcd3 } from 'etcd3';
import { startEtcd, stopAllEtcd, type EtcdServer } from './etcd.js';
import { BrokerProcess } from './broker-process.js';
import { TcpProxy } from './proxy.js';
import { until, within } from './wait.js';
import type { Test } from 'uvu';
import { cleanupTempDirs, tempDir } from '../temp-dir.js';

export const PREFIX = '/skein/';

export interface FaultClusterOptions {
  brokers?: number;
  sessionTimeoutMs?: number;
  replicaLagTimeMaxMs?: number;
  minInsyncReplicas?: number;
  /** Put a TcpProxy between each broker and etcd (`etcdLink(nodeId)`). */
  etcdProxies?: boolean;
  args?: string[];
  /** Extra environment for one broker's process (e.g. libfaketime for a clock that jumps). */
  env?: (nodeId: number) => Record<string, string> | undefined;
}

export interface EtcdPartition {
  replicas: number[];
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

export class FaultCluster {
  readonly etcd: EtcdServer;
  readonly brokers: BrokerProcess[];
  readonly etcdLinks: Map<number, TcpProxy>;
  readonly client: Etcd3;
  readonly root: string;

  private constructor(etcd: EtcdServer, brokers: BrokerProcess[], etcdLinks: Map<number, TcpProxy>, root: string) {
    this.etcd = etcd;
    this.brokers = brokers;
    this.etcdLinks = etcdLinks;
    this.root = root;
    this.client = new Etcd3({ hosts: etcd.url });
  }

  static async start(options: FaultClusterOptions = {}): Promise<FaultCluster> {
    const etcd = await startEtcd();
    const root = tempDir('skein-faults-');
    const count = options.brokers ?? 3;
    const etcdPort = Number(new URL(etcd.url).port);
    const links = new Map<number, TcpProxy>();
    const ids = Array.from({ length: count }, (_, i) => i + 1);
    if (options.etcdProxies) for (const id of ids) links.set(id, await TcpProxy.listen(etcdPort));
    const args = [
      '--session-timeout-ms', String(options.sessionTimeoutMs ?? 2000),
      '--replica-lag-time-max-ms', String(options.replicaLagTimeMaxMs ?? 3000),
      '--min-insync-replicas', String(options.minInsyncReplicas ?? 2),
      '--log-level', 'warn',
      ...(options.args ?? []),
    ];
    const brokers = await Promise.all(
      ids.map((nodeId) =>
        BrokerProcess.start({
          nodeId,
          dir: join(root, `b${nodeId}`),
          etcd: links.has(nodeId) ? `http://127.0.0.1:${links.get(nodeId)!.port}` : etcd.url,
          args,
          env: options.env?.(nodeId),
        }),
      ),
    );
    const cluster = new FaultCluster(etcd, brokers, links, root);
    await cluster.waitForBrokers(count);
    return cluster;
  }

  broker(nodeId: number): BrokerProcess {
    const b = this.brokers.find((x) => x.nodeId === nodeId);
    if (!b) throw new Error(`no broker ${nodeId}`);
    return b;
  }

  etcdLink(nodeId: number): TcpProxy {
    const link = this.etcdLinks.get(nodeId);
    if (!link) throw new Error(`broker ${nodeId} has no etcd proxy (start with etcdProxies: true)`);
    return link;
  }

  /** Brokers cut off by `isolate()` and not healed yet. */
  readonly isolated = new Set<number>();

  /** Every running, reachable broker's client address (the proxies). */
  bootstrap(): string[] {
    return this.brokers.filter((b) => b.running && !this.isolated.has(b.nodeId)).map((b) => b.bootstrap);
  }

  /**
   * A network partition around one broker: its proxy (clients and peers) and its etcd link stop
   * forwarding. New clients made by `kafka()` meanwhile bootstrap from the other brokers only,
   * as a client on the majority side would (it cannot reach the isolated one).
   */
  isolate(nodeId: number): void {
    this.isolated.add(nodeId);
    this.broker(nodeId).proxy.cut();
    this.etcdLinks.get(nodeId)?.cut();
  }

  heal(nodeId: number): void {
    this.etcdLinks.get(nodeId)?.heal();
    this.broker(nodeId).proxy.heal();
    this.isolated.delete(nodeId);
  }

  kafka(clientId = 'faults', bootstrap = this.bootstrap()): Kafka {
    return new Kafka({
      clientId,
      brokers: bootstrap,
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
      connectionTimeout: 2000,
      requestTimeout: 8000,
    });
  }

  async admin(): Promise<Admin> {
    const admin = this.kafka('faults-admin').admin();
    await within(admin.connect(), 20_000, 'admin connect');
    return admin;
  }

  /** The broker ids registered (live leases) in etcd. */
  async registered(): Promise<number[]> {
    const keys = await this.client.getAll().prefix(`${PREFIX}brokers/`).keys();
    return keys.map((k) => Number(k.slice(`${PREFIX}brokers/`.length))).sort((a, b) => a - b);
  }

  async waitForBrokers(count: number, timeoutMs = 30_000): Promise<void> {
    await until(async () => (await this.registered()).length === count, `${count} brokers registered in etcd`, timeoutMs, 100);
    await until(async () => (await this.client.get(`${PREFIX}controller`).string()) !== null, 'a controller', timeoutMs, 100);
  }

  async partition(topic: string, partition: number): Promise<EtcdPartition> {
    const text = await this.client.get(`${PREFIX}partitions/${topic}/${partition}`).string();
    if (text === null) throw new Error(`no state for ${topic}/${partition} in etcd`);
    return JSON.parse(text) as EtcdPartition;
  }

  async partitions(topic: string, count: number): Promise<EtcdPartition[]> {
    return Promise.all(Array.from({ length: count }, (_, p) => this.partition(topic, p)));
  }

  /** Waits until every partition of `topic` has a leader and `isrSize` in-sync replicas. */
  async waitForIsr(topic: string, count: number, isrSize: number, timeoutMs = 60_000): Promise<EtcdPartition[]> {
    return until(async () => {
      const states = await this.partitions(topic, count);
      return states.every((s) => s.leader >= 0 && s.isr.length >= isrSize) ? states : undefined;
    }, `every partition of ${topic} led with ${isrSize} in-sync replicas`, timeoutMs, 100).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await this.describeState(topic, count)}`);
    });
  }

  /** SIGKILL, then (once etcd forgot its lease) start it again on the same folder. */
  async killAndRestart(nodeId: number, between?: () => Promise<void>): Promise<void> {
    const b = this.broker(nodeId);
    await b.kill();
    if (between) await between();
    await this.waitUnregistered(nodeId);
    await b.start();
  }

  /** SIGTERM (a controlled shutdown; exit code 0 expected), then start it again on the same folder. */
  async terminateAndRestart(nodeId: number, between?: () => Promise<void>): Promise<void> {
    const b = this.broker(nodeId);
    const code = await b.terminate();
    if (code !== 0) throw new Error(`broker ${nodeId} exited ${code} after SIGTERM: ${b.output().slice(-1500)}`);
    if (between) await between();
    await this.waitUnregistered(nodeId);
    await b.start();
  }

  async waitUnregistered(nodeId: number, timeoutMs = 30_000): Promise<void> {
    await until(async () => !(await this.registered()).includes(nodeId), `broker ${nodeId}'s lease to expire`, timeoutMs, 100);
  }

  /** The folder holding a broker's replica of topic-partition. */
  partitionDir(nodeId: number, topic: string, partition: number): string {
    return join(this.broker(nodeId).dir, `${topic}-${partition}`);
  }

  async describeState(topic: string, count: number): Promise<string> {
    const states = await this.partitions(topic, count).catch((e: Error) => e.message);
    const registered = await this.registered().catch((e: Error) => e.message);
    const controller = await this.client.get(`${PREFIX}controller`).string().catch((e: Error) => e.message);
    return `etcd: brokers ${JSON.stringify(registered)}, controller ${controller}, ${topic} ${JSON.stringify(states)}`;
  }

  async close(): Promise<void> {
    this.client.close();
    await Promise.allSettled(this.brokers.map((b) => b.close()));
    await Promise.allSettled([...this.etcdLinks.values()].map((l) => l.close()));
    await stopAllEtcd();
  }
}

/** The cluster most fault tests run on: session 2 s, lag limit 3 s, min.insync.replicas 2. */
export const FAULT_TEST_CLUSTER: FaultClusterOptions = { sessionTimeoutMs: 2000, replicaLagTimeMaxMs: 3000, minInsyncReplicas: 2 };

/**
 * A suite's cluster and a kafkajs admin on it: started before its first test (handed to `use`),
 * closed after its last, temp folders swept.
 */
export function faultClusterHooks(it: Test, use: (cluster: FaultCluster, admin: Admin) => void, options: FaultClusterOptions = FAULT_TEST_CLUSTER): void {
  let cluster: FaultCluster | undefined;
  let admin: Admin | undefined;
  it.before(async () => {
    cluster = await FaultCluster.start(options);
    admin = await cluster.admin();
    use(cluster, admin);
  });
  it.after(async () => {
    await admin?.disconnect().catch(() => undefined);
    await cluster?.close();
    cleanupTempDirs();
  });
}
