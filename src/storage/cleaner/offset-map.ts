/**
 * The log cleaner's map from record key to the offset of the key's last record in the dirty
 * section (Kafka's SkimpyOffsetMap). Keys are held as latin1 strings of their bytes (exact
 * and binary-safe); Kafka stores 16-byte hashes to bound memory, we bound the number of
 * entries instead: when the map is full the cleaner stops the dirty section at that segment
 * and cleans the rest in a later pass.
 *
 * Single-use, owned by one cleaning pass, on whichever thread runs it.
 */
export class OffsetMap {
  private readonly offsets = new Map<string, number>();
  readonly maxEntries: number;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.offsets.size;
  }

  get full(): boolean {
    return this.offsets.size >= this.maxEntries;
  }

  /** Records that `key`'s latest record so far is at `offset` (offsets arrive in order). */
  put(key: Uint8Array, offset: number): void {
    this.offsets.set(keyString(key), offset);
  }

  /** The offset of `key`'s last record in the dirty section, or undefined when it has none. */
  get(key: Uint8Array): number | undefined {
    return this.offsets.get(keyString(key));
  }
}

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}
