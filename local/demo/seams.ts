import type { Kafka, ProducerConfig } from 'kafkajs';
import type { AppendResult, BrokerStorage } from '../broker/storage';

/** The target with one method replaced; every other member is the target's own, bound to it. */
function replacing<T extends object, K extends keyof T>(target: T, method: K, replacement: T[K]): T {
  return new Proxy(target, {
    get(original, property) {
      if (property === method) return replacement;
      const value: unknown = Reflect.get(original, property, original);
      return typeof value === 'function' ? value.bind(original) : value;
    },
  });
}

/**
 * A Kafka client whose producers run without idempotence: no producer id, so the broker cannot recognise a
 * retried batch and appends it again (KIP-98). Demo only: it shows what the ingest path would store without
 * the guarantee; the ingest function itself always produces idempotently.
 */
export function withoutIdempotence(kafka: Kafka): Kafka {
  return replacing(kafka, 'producer', (config: ProducerConfig = {}) =>
    kafka.producer({ ...config, idempotent: false }),
  );
}

export interface DuplicateCount {
  /** Records of retried batches the broker recognised and did not append again. */
  records: number;
  batches: number;
}

/** Broker storage that counts the batches of one topic its idempotence check answered as duplicates. */
export function countingDuplicates(
  storage: BrokerStorage,
  topic: string,
  count: DuplicateCount,
): BrokerStorage {
  return replacing(
    storage,
    'append',
    async (...args: Parameters<BrokerStorage['append']>): Promise<AppendResult> => {
      const result = await storage.append(...args);
      if (result.duplicate && args[0] === topic) {
        count.batches++;
        count.records += args[3].recordCount;
      }
      return result;
    },
  );
}
