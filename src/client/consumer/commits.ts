/**
 * The consumer's offset commits: auto-commit by interval or by count of processed messages
 * (after each fetch's delivery, and when eachBatch asks), commits of the partitions a
 * rebalance takes away, and the application's own commitOffsets. A commit sends positions
 * (the next offset to consume, as Kafka) that changed since the last commit, to the broker's
 * group coordinator. Event-loop thread only.
 */
import type { ConsumerState } from './state.js';
import type { PartitionCursor } from './types.js';

export class OffsetCommits {
  private readonly state: ConsumerState;
  /** What a failed auto-commit does (membership decides whether to rejoin). */
  private readonly onGroupError: (err: unknown) => void;

  constructor(state: ConsumerState, onGroupError: (err: unknown) => void) {
    this.state = state;
    this.onGroupError = onGroupError;
  }

  /**
   * Commits when auto-commit is due; undefined when it is not. Checked after every message in
   * eachMessage mode, so the common answer (not yet) allocates nothing: no promise to await.
   */
  maybeAutoCommit(): Promise<void> | undefined {
    const state = this.state;
    const options = state.runOptions;
    if (!options?.autoCommit) return undefined;
    const byThreshold = options.autoCommitThreshold !== null && state.processedSinceCommit >= options.autoCommitThreshold;
    const byInterval = options.autoCommitInterval !== null && Date.now() - state.lastCommitAt >= options.autoCommitInterval;
    if (!byThreshold && !byInterval) return undefined;
    return this.autoCommit();
  }

  private async autoCommit(): Promise<void> {
    const state = this.state;
    try {
      await this.commitCursors([...state.cursors.values()]);
    } catch (err) {
      this.onGroupError(err);
    }
  }

  async commitCursors(cursors: PartitionCursor[]): Promise<void> {
    const state = this.state;
    const changed = cursors.filter((c) => c.position !== c.committed);
    state.lastCommitAt = Date.now();
    state.processedSinceCommit = 0;
    if (changed.length === 0 || state.generationId < 0) return;
    const positions = changed.map((c) => c.position);
    await state.broker.groups.commitOffsets({
      groupId: state.config.groupId,
      generationId: state.generationId,
      memberId: state.memberId,
      groupInstanceId: state.config.groupInstanceId,
      offsets: changed.map((c, i) => ({ topic: c.topic, partition: c.partition, offset: positions[i]! })),
    });
    changed.forEach((c, i) => (c.committed = positions[i]!));
    state.emit('consumer.commit_offsets', {
      groupId: state.config.groupId,
      topics: changed.map((c, i) => ({ topic: c.topic, partition: c.partition, offset: String(positions[i]) })),
    });
  }

  /** The application's commit of checked offsets; errors reach the caller. */
  async commitOffsets(offsets: Array<{ topic: string; partition: number; offset: number }>): Promise<void> {
    const state = this.state;
    await state.broker.groups.commitOffsets({
      groupId: state.config.groupId,
      generationId: state.generationId,
      memberId: state.memberId,
      groupInstanceId: state.config.groupInstanceId,
      offsets,
    });
  }
}
