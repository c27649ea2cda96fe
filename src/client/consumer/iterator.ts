/**
 * `for await (const batch of consumer)`: the consumer's eachBatch turned into an async
 * iterator. The next batch is delivered when the loop asks for the next one (the previous
 * batch's handler resolves then), so the loop's pace is the consumer's. Ends when the consumer
 * stops; throws what made it fail. Runs on the event loop; only the consumer's public calls.
 */
import { SkeinError } from '../../errors.js';
import type { Consumer } from '../consumer.js';
import type { Batch } from './types.js';

export function batchIterator(consumer: Consumer, running: () => boolean): AsyncIterator<Batch> {
  const queue: Array<{ batch: Batch; done: () => void }> = [];
  let wake: (() => void) | undefined;
  let failure: unknown;
  const started = running()
    ? Promise.reject(new SkeinError('SKEIN_INVALID_ARGUMENT', 'the consumer is already running'))
    : consumer.run({
        eachBatch: ({ batch }) =>
          new Promise<void>((resolve) => {
            queue.push({ batch, done: resolve });
            wake?.();
          }),
      }).catch((err) => {
        failure = err;
      });
  let current: (() => void) | undefined;
  consumer.once('consumer.crash', (event: { error: Error; restart: boolean }) => {
    if (!event.restart) {
      failure = event.error;
      wake?.();
    }
  });
  return {
    next: async (): Promise<IteratorResult<Batch>> => {
      await started;
      current?.(); // the previous batch is processed
      current = undefined;
      for (;;) {
        if (failure) throw failure;
        const item = queue.shift();
        if (item) {
          current = item.done;
          return { done: false, value: item.batch };
        }
        if (!running()) return { done: true, value: undefined };
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200).unref();
        });
        wake = undefined;
      }
    },
    return: async (): Promise<IteratorResult<Batch>> => {
      current?.();
      await consumer.stop();
      return { done: true, value: undefined };
    },
  };
}
