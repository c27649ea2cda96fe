/**
 * `Skein.open({ dir })`: the embedded engine a Node service holds. One broker over one data
 * folder, and the front doors onto it: `admin`, `producer()`, `consumer()`. Topics, data and
 * committed offsets survive `close()` and a new `open()` on the same folder.
 */
import { Broker, type BrokerOptions } from '../broker/broker.js';
import { SkeinError } from '../errors.js';
import { Admin } from './admin.js';
import { Producer, type ProducerOptions } from './producer.js';
import { Consumer, type ConsumerOptions } from './consumer.js';
import { ProtocolServer, type ProtocolServerOptions } from '../protocol/server/server.js';
import { atLeast, stderrLogger } from '../protocol/server/log.js';
import { ClusterMember } from '../cluster/cluster-member.js';
import type { ClusterOptions } from '../cluster/cluster-options.js';

/** `skein.listen()` options: the protocol server's, minus the broker (this Skein's). */
export type ListenOptions = Omit<ProtocolServerOptions, 'broker'>;

/** A listening Kafka protocol server; `bootstrap` is what clients put in their broker list. */
export interface Listener {
  host: string;
  port: number;
  bootstrap: string;
  close(): Promise<void>;
}

/**
 * Joining a cluster: this process hosts one broker of it, coordinated through etcd
 * (docs/cluster.md). `listen` is where other brokers and Kafka clients reach this one; the
 * broker listens there before it registers.
 */
export interface SkeinClusterOptions extends ClusterOptions {
  listen?: ListenOptions;
}

export interface SkeinOptions extends BrokerOptions {
  cluster?: SkeinClusterOptions;
}

export class Skein {
  readonly broker: Broker;
  readonly admin: Admin;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private readonly servers = new Set<ProtocolServer>();
  private closing: Promise<void> | undefined;
  private member: ClusterMember | undefined;

  private constructor(broker: Broker) {
    this.broker = broker;
    this.admin = new Admin(broker);
  }

  static async open(options: SkeinOptions): Promise<Skein> {
    if (!options || typeof options !== 'object') throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'Skein.open needs { dir }');
    const { cluster, ...brokerOptions } = options;
    if (!cluster) return new Skein(await Broker.open(brokerOptions));
    const skein = new Skein(await Broker.open({ ...brokerOptions, nodeId: cluster.nodeId }));
    try {
      const { listen, ...clusterOptions } = cluster;
      const listener = await skein.listen(listen ?? {});
      skein.member = await ClusterMember.join(clusterOptions, { host: skein.broker.listener.host, port: skein.broker.listener.port });
      skein.member.on('warning', (message) => (brokerOptions.onWarning ?? ((m: string) => process.stderr.write(`skein: ${m}\n`)))(message));
      await skein.broker.attachCluster(skein.member);
      void listener;
    } catch (err) {
      await skein.close();
      throw err;
    }
    return skein;
  }

  /** Where the first protocol server listens (the one `Skein.open({ cluster })` starts), if any. */
  boundAddress(): { host: string; port: number } | undefined {
    const first = [...this.servers][0];
    return first ? { host: first.address.host, port: first.address.port } : undefined;
  }

  /** This broker's membership of a cluster (undefined when it runs alone). */
  get cluster(): ClusterMember | undefined {
    return this.member;
  }

  producer(options: ProducerOptions = {}): Producer {
    this.ensureOpen();
    const producer = new Producer(this.broker, options);
    this.producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): Consumer {
    this.ensureOpen();
    const consumer = new Consumer(this.broker, options);
    this.consumers.add(consumer);
    consumer.once('consumer.disconnect', () => this.consumers.delete(consumer));
    return consumer;
  }

  /**
   * Serves this Skein over the Kafka protocol, so kafkajs, kcat and other Kafka clients can
   * use it: `await skein.listen({ port: 0 })` picks a free port; pass `bootstrap` to clients.
   * Warnings (peers breaking the protocol) go to stderr unless `log` says otherwise.
   */
  async listen(options: ListenOptions = {}): Promise<Listener> {
    this.ensureOpen();
    const server = await ProtocolServer.listen({ log: atLeast('warn', stderrLogger), ...options, broker: this.broker });
    this.servers.add(server);
    const advertised = this.broker.listener;
    return {
      host: server.address.host,
      port: server.address.port,
      bootstrap: `${advertised.host}:${advertised.port}`,
      close: async () => {
        await server.close();
        this.servers.delete(server);
      },
    };
  }

  /** Closes protocol servers, stops consumers (committing their positions), sends what producers hold, then closes the broker. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        // Leaving the cluster first revokes the lease: the others take over at once instead of
        // after a session timeout.
        await this.member?.close();
        await Promise.allSettled([...this.servers].map((s) => s.close()));
        await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
        await Promise.allSettled([...this.producers].map((p) => p.disconnect()));
        await this.broker.close();
      })();
    }
    return this.closing;
  }

  private ensureOpen(): void {
    if (this.closing || this.broker.closed) throw new SkeinError('SKEIN_CLOSED', 'this Skein is closed');
  }
}
