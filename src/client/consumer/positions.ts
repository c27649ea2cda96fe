/**
 * Where the consumer reads: seek (move an assigned partition's position, or remember it for
 * when the partition is assigned), pause and resume (a paused partition is left out of
 * fetches; its position is kept), and the paused list. Each change wakes the fetch loop so an
 * outstanding long poll does not hold it back. Arguments are checked by the Consumer.
 * Event-loop thread only.
 */
import { partitionKey, type ConsumerState } from './state.js';
import type { PartitionCursor } from './types.js';

export class Positions {
  private readonly state: ConsumerState;

  constructor(state: ConsumerState) {
    this.state = state;
  }

  /** Moves the position of an assigned partition (or of one assigned later). */
  seek(topic: string, partition: number, target: number): void {
    const state = this.state;
    const c = state.cursors.get(partitionKey(topic, partition));
    if (!c) {
      state.pendingSeeks.set(partitionKey(topic, partition), target);
      return;
    }
    c.position = target;
    c.seekEpoch += 1;
    state.wakeLoop();
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    const state = this.state;
    for (const { topic, partitions } of topics) {
      const list = partitions ?? [...state.cursors.values()].filter((c) => c.topic === topic).map((c) => c.partition);
      for (const p of list) state.pausedKeys.add(partitionKey(topic, p));
    }
    state.wakeLoop();
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    const state = this.state;
    for (const { topic, partitions } of topics) {
      for (const k of [...state.pausedKeys]) {
        const [t, p] = k.split('\u0000');
        if (t === topic && (!partitions || partitions.includes(Number(p)))) state.pausedKeys.delete(k);
      }
    }
    state.wakeLoop();
  }

  paused(): Array<{ topic: string; partitions: number[] }> {
    const byTopic = new Map<string, number[]>();
    for (const k of this.state.pausedKeys) {
      const [t, p] = k.split('\u0000') as [string, string];
      byTopic.set(t, [...(byTopic.get(t) ?? []), Number(p)]);
    }
    return [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions }));
  }

  /** The pause() of a handler's payload: pauses its own partition; returns the resume. */
  pauseOne(cursor: PartitionCursor): () => void {
    this.state.pausedKeys.add(cursor.key);
    return () => this.resume([{ topic: cursor.topic, partitions: [cursor.partition] }]);
  }
}
