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

  /** Records that the key (its bytes as a latin1 string) has its latest record so far at `offset` (offsets arrive in order). */
  put(key: string, offset: number): void {
    this.offsets.set(key, offset);
  }

  /** The offset of the key's last record in the dirty section, or undefined when it has none. */
  get(key: string): number | undefined {
    return this.offsets.get(key);
  }
}

/** The map key of `bytes[start, end)`: one char per byte, exact for any bytes. */
export function keyString(bytes: Buffer, start: number, end: number): string {
  return bytes.toString('latin1', start, end);
}
