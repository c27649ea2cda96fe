/**
 * Every compared system, in the order they run. Each module is imported only when selected,
 * so a peer whose package is missing or broken costs the others nothing.
 */
import type { System } from '../types.js';

export const SYSTEM_IDS = ['skein', 'skein-fsync', 'skein-kafka', 'redis', 'nats', 'sqlite', 'lmdb', 'array'] as const;

export async function loadSystem(id: string): Promise<System> {
  switch (id) {
    case 'skein':
    case 'skein-fsync': {
      const { SkeinEmbedded } = await import('./skein.js');
      return new SkeinEmbedded(id === 'skein-fsync');
    }
    case 'skein-kafka': {
      const { SkeinKafka } = await import('./skein-kafka.js');
      return new SkeinKafka();
    }
    case 'redis': {
      const { RedisStreams } = await import('./redis.js');
      return new RedisStreams();
    }
    case 'nats': {
      const { NatsJetStream } = await import('./nats.js');
      return new NatsJetStream();
    }
    case 'sqlite': {
      const { Sqlite } = await import('./sqlite.js');
      return new Sqlite();
    }
    case 'lmdb': {
      const { Lmdb } = await import('./lmdb.js');
      return new Lmdb();
    }
    case 'array': {
      const { JsArray } = await import('./array.js');
      return new JsArray();
    }
    default:
      throw new Error(`unknown system ${id}; known: ${SYSTEM_IDS.join(', ')}`);
  }
}
