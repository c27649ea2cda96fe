/**
 * Typed listeners of one Partition's events. Smaller than an EventEmitter on purpose: the
 * produce path publishes two events per append, so publishing costs one array check when no
 * one listens, payloads are built only when someone does (`has`), and a listener that throws
 * cannot break the append that already happened (its error goes to `onListenerError`).
 *
 * Runs on the event loop; listeners are called synchronously, in subscription order.
 */
import type { PartitionEventMap, PartitionEventName, PartitionListener } from './types.js';

type ListenerTable = { [E in PartitionEventName]: Array<PartitionListener<E>> };

export class PartitionEvents {
  private readonly listeners: ListenerTable = {
    appended: [],
    flushed: [],
    highWatermark: [],
    segmentRolled: [],
    segmentsDeleted: [],
    truncated: [],
  };

  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<E extends PartitionEventName>(event: E, listener: PartitionListener<E>): () => void {
    const list = this.listeners[event] as Array<PartitionListener<E>>;
    list.push(listener);
    return () => {
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }

  /** True when someone listens (so a caller can skip building the payload). */
  has(event: PartitionEventName): boolean {
    return this.listeners[event].length > 0;
  }

  emit<E extends PartitionEventName>(event: E, payload: PartitionEventMap[E]): void {
    const list = this.listeners[event] as Array<PartitionListener<E>>;
    if (list.length === 0) return;
    for (const listener of list.length === 1 ? list : [...list]) {
      try {
        listener(payload);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  clear(): void {
    for (const list of Object.values(this.listeners)) list.length = 0;
  }
}
