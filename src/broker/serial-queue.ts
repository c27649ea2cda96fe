/**
 * Runs the broker's metadata changes one at a time, in call order (topic creation and deletion,
 * partitions added, configs altered, producer id blocks, a cluster's replicas opened and
 * deleted), so that concurrent admin calls see each other's results. A failed change does not
 * stop the ones queued after it. `idle` resolves once everything queued so far has run (close
 * waits for it before the logs close).
 *
 * Event loop only; knows nothing of what the work does.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  idle(): Promise<unknown> {
    return this.tail;
  }
}
