/**
 * Bounds how many sealed segments keep a mapping and an open fd.
 *
 * Linux allows about 65,530 mappings per process (vm.max_map_count) and a few thousand open
 * files by default; a broker with thousands of partitions and many segments each must not
 * exhaust either. Active segments are always mapped and never counted here; sealed segments
 * are mapped on first read and enter this LRU, and the least recently read one is evicted
 * (fd closed, mapping dropped) when more than `capacity` are held. Eviction never breaks a
 * reader: a view handed out keeps its mapping alive until it is collected (native/ refcount).
 *
 * One LRU is shared by every log of a process unless a log is given its own.
 */
export interface Evictable {
  evict(): void;
}

export class MappingLru {
  readonly capacity: number;
  private readonly order = new Map<Evictable, true>();

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
  }

  get size(): number {
    return this.order.size;
  }

  /** Marks `item` as just used, evicting the least recently used items over capacity. */
  touch(item: Evictable): void {
    if (this.order.has(item)) {
      this.order.delete(item);
      this.order.set(item, true);
      return;
    }
    this.order.set(item, true);
    while (this.order.size > this.capacity) {
      const oldest = this.order.keys().next().value as Evictable;
      this.order.delete(oldest);
      oldest.evict();
    }
  }

  /** Stops tracking `item` (it was deleted, closed or became active) without evicting it. */
  forget(item: Evictable): void {
    this.order.delete(item);
  }
}

/** Sealed segments mapped at once across all logs of this process that use the shared LRU. */
export const DEFAULT_MAPPED_SEGMENTS = 512;

export const sharedMappingLru = new MappingLru(DEFAULT_MAPPED_SEGMENTS);
