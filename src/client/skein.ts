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
import { nonEmptyString, object } from './arguments.js';
import { atLeast, stderrLogger } from '../protocol/server/log.js';
import { SchemaRegistry } from '../schema-registry/schema-registry.js';
import { SchemaRegistryServer } from '../schema-registry/http-api.js';

/** `skein.serveSchemaRegistry()` options. */
export interface SchemaRegistryListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8081, Confluent's; 0 picks a free port. */
  port?: number;
}
import { AdminServer, type AdminServerOptions } from '../admin/admin-server.js';
import type { RequestObserver } from '../protocol/server/observer.js';
import { ClusterMember, type ControlledShutdownResult } from '../cluster/cluster-member.js';
import { checkMetaProperties, readMetaProperties, writeMetaProperties } from '../broker/meta-properties.js';
import { leaderConnections } from '../protocol/peer/leader-connection.js';
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

/** Both observers, in order (the metrics after whatever the listener was given). */
function chain(first: RequestObserver | undefined, second: RequestObserver): RequestObserver {
  return first ? (event) => (first(event), second(event)) : second;
}

export class Skein {
  readonly broker: Broker;
  readonly admin: Admin;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private readonly servers = new Set<ProtocolServer>();
  private readonly registryServers = new Set<SchemaRegistryServer>();
  private registry: Promise<SchemaRegistry> | undefined;
  private readonly admins = new Set<AdminServer>();
  private closing: Promise<void> | undefined;
  private member: ClusterMember | undefined;
  private shutdownResult: ControlledShutdownResult | undefined;

  private constructor(broker: Broker) {
    this.broker = broker;
    this.admin = new Admin(broker);
  }

  static async open(options: SkeinOptions): Promise<Skein> {
    nonEmptyString(object(options, 'Skein.open options').dir, 'dir');
    const { cluster, ...brokerOptions } = options;
    if (!cluster) return new Skein(await Broker.open(brokerOptions));
    const { listen, ...clusterOptions } = cluster;
    // Whose folder is this? Refused before anything in it is opened (Kafka checks meta.properties
    // against broker.id and the cluster id before loading its logs).
    const meta = readMetaProperties(options.dir);
    const clusterId = await ClusterMember.clusterId(clusterOptions);
    checkMetaProperties(options.dir, meta, cluster.nodeId, clusterId);
    const skein = new Skein(await Broker.open({ ...brokerOptions, nodeId: cluster.nodeId }));
    try {
      const listener = await skein.listen({ clusterId, ...listen });
      // Written under the folder lock Broker.open took.
      const { directoryId } = writeMetaProperties(options.dir, meta, cluster.nodeId, clusterId);
      skein.member = await ClusterMember.join(clusterOptions, {
        host: skein.broker.listener.host,
        port: skein.broker.listener.port,
        directoryId,
      });
      skein.member.on('warning', (message) => (brokerOptions.onWarning ?? ((m: string) => process.stderr.write(`skein: ${m}\n`)))(message));
      // Followers fetch from leaders over the Kafka protocol, like any client (src/protocol/peer/).
      await skein.broker.attachCluster(skein.member, { leaderEndpoints: leaderConnections() });
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

  /** What the controlled shutdown in `close()` achieved (a cluster broker, once closed). */
  get controlledShutdown(): ControlledShutdownResult | undefined {
    return this.shutdownResult;
  }

  /** This broker's membership of a cluster (undefined when it runs alone). */
  get cluster(): ClusterMember | undefined {
    return this.member;
  }

  producer(options: ProducerOptions = {}): Producer {
    this.ensureOpen();
    object(options, 'producer options');
    const producer = new Producer(this.broker, options);
    this.producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): Consumer {
    this.ensureOpen();
    object(options, 'consumer options');
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
    object(options, 'listen options');
    const server = await ProtocolServer.listen({ log: atLeast('warn', stderrLogger), ...options, broker: this.broker });
    this.servers.add(server);
    const metrics = [...this.admins][0]?.metrics;
    if (metrics) server.observe(chain(server.observer, metrics.observe));
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

  /**
   * The schema registry of this Skein, in process (opened on first call: `_schemas` is created
   * if missing and replayed). Register and look up schemas, and encode/decode records in
   * Confluent's wire format with `registry.encode()` / `registry.decode()`.
   */
  schemaRegistry(): Promise<SchemaRegistry> {
    this.ensureOpen();
    if (!this.registry) {
      this.registry = SchemaRegistry.open(this.broker);
      this.registry.catch(() => {
        this.registry = undefined;
      });
    }
    return this.registry;
  }

  /**
   * Serves the schema registry over Confluent's REST API (for kafkajs with
   * @kafkajs/confluent-schema-registry, Java serializers, curl): `url` is what clients use.
   */
  async serveSchemaRegistry(options: SchemaRegistryListenOptions = {}): Promise<SchemaRegistryServer> {
    const registry = await this.schemaRegistry();
    const server = await SchemaRegistryServer.listen({ registry, host: options.host, port: options.port });
    this.registryServers.add(server);
    return server;
  }

  /**
   * Serves the HTTP admin port for this Skein: /metrics (Prometheus), /health, /ready and the
   * web console at `url`. `{ port: 0 }` picks a free port; host defaults to 127.0.0.1.
   * Closed by `close()`.
   */
  async listenAdmin(options: AdminServerOptions): Promise<AdminServer> {
    this.ensureOpen();
    const admin = await AdminServer.listen(options);
    this.attachAdmin(admin);
    return admin;
  }

  /**
   * Attaches an admin port that was started before this Skein (so /health answered during
   * start-up): it turns ready, and the protocol servers report requests to its metrics.
   */
  attachAdmin(admin: AdminServer): void {
    this.ensureOpen();
    const metrics = admin.attach({ broker: this.broker, connections: () => [...this.servers].reduce((n, s) => n + s.connectionCount, 0) });
    for (const server of this.servers) server.observe(chain(server.observer, metrics.observe));
    this.admins.add(admin);
  }

  /** Closes protocol servers, stops consumers (committing their positions), sends what producers hold, then closes the broker. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        for (const admin of this.admins) admin.markStopping();
        // A controlled shutdown first (Kafka's controlled.shutdown): the controller moves every
        // leadership this broker holds to another in-sync replica while it still answers, so
        // clients lose milliseconds, not a session timeout. Then leaving revokes the lease: the
        // others take over what could not move at once instead of after a session timeout.
        if (this.member) {
          this.shutdownResult = await this.member.controlledShutdown().catch((err: unknown) => {
            this.member!.emit('warning', `controlled shutdown failed, leaving without it: ${(err as Error).message}`);
            return undefined;
          });
        }
        await this.member?.close();
        await Promise.allSettled([...this.servers].map((s) => s.close()));
        await Promise.allSettled([...this.registryServers].map((s) => s.close()));
        await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
        await Promise.allSettled([...this.producers].map((p) => p.disconnect()));
        await this.broker.close();
        await Promise.allSettled([...this.admins].map((a) => a.close()));
      })();
    }
    return this.closing;
  }

  private ensureOpen(): void {
    if (this.closing || this.broker.closed) throw new SkeinError('SKEIN_CLOSED', 'this Skein is closed');
  }
}
