import type { Kafka, ProducerConfig } from 'kafkajs';
import type { AppendResult, BrokerStorage } from '../broker/storage';

/**
 * A Kafka client whose producers run without idempotence: no producer id, so the broker cannot recognise a
 * retried batch and appends it again (KIP-98). Demo only: it shows what the ingest path would store without
 * the guarantee; the ingest function itself always produces idempotently.
 */
export function withoutIdempotence(kafka: Kafka): Kafka {
  return new Proxy(kafka, {
    get(target, property) {
      if (property === 'producer') {
        return (config: ProducerConfig = {}) => target.producer({ ...config, idempotent: false });
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
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
  return new Proxy(storage, {
    get(target, property) {
      if (property === 'append') {
        return async (...args: Parameters<BrokerStorage['append']>): Promise<AppendResult> => {
          const result = await target.append(...args);
          if (result.duplicate && args[0] === topic) {
            count.batches++;
            count.records += args[3].recordCount;
          }
          return result;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
