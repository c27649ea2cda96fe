/**
 * Producer ids for idempotent producers (Kafka InitProducerId), handed out from blocks so that
 * one persisted record serves many calls: on one broker the blocks are reserved in the local
 * metadata log ('producer-id-block'), in a cluster from a counter in etcd
 * (ClusterMember.allocateProducerIds). A producer that moves to another broker after a failover
 * must not meet another producer with its id there: with the same id, the new leader takes its
 * sequence numbers for the other's (OUT_OF_ORDER_SEQUENCE_NUMBER on every send, or a batch
 * answered as a "duplicate" of the other's and never written).
 *
 * Lifecycle: made at open from the metadata log's next block; `joinCluster` once the broker
 * attaches. Event loop only; calls must not overlap (the broker runs them on its metadata
 * queue). Knows nothing of topics or the protocol.
 */
import type { ClusterMember } from '../cluster/cluster-member.js';
import type { MetadataLog } from './metadata-log.js';

/** Producer ids are reserved in blocks so that one persisted record serves many InitProducerId calls. */
const PRODUCER_ID_BLOCK = 1000;

export class ProducerIds {
  private readonly metadata: MetadataLog;
  private nextProducerId: number;
  private blockEnd: number;
  /** In a cluster: the end of the ids this folder handed out before it joined (0 for a new folder). */
  private localIdsEnd = 0;

  constructor(metadata: MetadataLog) {
    this.metadata = metadata;
    this.nextProducerId = metadata.nextProducerIdBlock;
    this.blockEnd = metadata.nextProducerIdBlock;
  }

  /**
   * From now on ids come from the cluster's counter, not what is left of a local block; the
   * cluster's blocks for this broker start above every id this folder handed out alone (its
   * logs may hold those producers' state).
   */
  joinCluster(): void {
    this.localIdsEnd = this.blockEnd;
    this.nextProducerId = this.blockEnd;
  }

  /** A fresh producer id with epoch 0; `member` is the broker's cluster membership, if any. */
  async next(member: ClusterMember | undefined): Promise<{ producerId: number; producerEpoch: number }> {
    if (this.nextProducerId >= this.blockEnd) {
      if (member) {
        const start = await member.allocateProducerIds(PRODUCER_ID_BLOCK, this.localIdsEnd);
        this.nextProducerId = start;
        this.blockEnd = start + PRODUCER_ID_BLOCK;
      } else {
        const end = this.blockEnd + PRODUCER_ID_BLOCK;
        await this.metadata.append({ type: 'producer-id-block', nextProducerId: end });
        this.nextProducerId = this.blockEnd;
        this.blockEnd = end;
      }
    }
    return { producerId: this.nextProducerId++, producerEpoch: 0 };
  }
}
