import { decodeRecordBatch } from '../../../../local/broker/protocol/record-batch';
import type { BrokerStorage } from '../../../../local/broker/storage/types';

export interface StoredRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string;
  readonly value: string;
}

/** Every record stored in a topic, read straight from storage, partition by partition in offset order. */
export function storedRecords(storage: BrokerStorage, topic: string): StoredRecord[] {
  const partitions = storage.describeTopic(topic)?.partitions ?? 0;
  const found: StoredRecord[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    let offset = 0n;
    for (;;) {
      const { batches, errorCode } = storage.read(topic, partition, offset, 8 << 20);
      if (errorCode !== 0)
        throw new Error(`reading ${topic}-${partition} at ${offset} failed with error ${errorCode}`);
      const last = batches.at(-1);
      if (!last) break;
      for (const batch of batches) {
        for (const record of decodeRecordBatch(batch.bytes)) {
          found.push({
            partition,
            offset: record.offset,
            key: record.key?.toString() ?? '',
            value: record.value?.toString() ?? '',
          });
        }
      }
      offset = last.lastOffset + 1n;
    }
  }
  return found;
}

/** Values per key, in stored order. */
export function valuesByKey(records: readonly StoredRecord[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const record of records) {
    const values = byKey.get(record.key) ?? [];
    values.push(record.value);
    byKey.set(record.key, values);
  }
  return byKey;
}
