import { describe, expect, it } from 'vitest';
import { appliedEntryBytes, deadLetterEntryBytes, effectWriteBytes } from '../../../functions/ledger/ledger';
import { ref } from './support';

/**
 * The size a step's items take in DynamoDB, estimated to cut steps below the 4 MB a transaction may write
 * (DynamoDB developer guide, "Item sizes"): attribute names and string values count their UTF-8 bytes, a
 * number its worst case of 21 bytes, a boolean or null 1 byte, a map 3 bytes plus its names and values.
 * Each figure below is that sum, attribute by attribute.
 */

describe('ledger item size estimate', () => {
  it('counts an effect write by its key and every attribute it adds or sets', () => {
    const bytes = effectWriteBytes({
      key: { pk: 'ACCOUNT#a-1', sk: 'BALANCE' },
      add: { balance: 5 },
      set: { lastEventId: 'é', closed: true, note: null },
    });
    // map 3 + pk 2+11 + sk 2+7 + balance 7+21 + lastEventId 11+2 (é is 2 bytes) + closed 6+1 + note 4+1
    expect(bytes).toBe(78);
  });

  it('counts an applied item with its coordinates, origin, timestamp and the event nested whole', () => {
    const bytes = appliedEntryBytes(ref, {
      eventId: 'e-1',
      event: { amount: 5, note: 'é' },
      offset: 10,
      origin: { producerSession: 's-1', partitionSequence: 0 },
      recordTimestamp: 1,
    });
    // map 3 + pk 2+9 (EVENT#e-1) + sk 2+7 + kind 4+7 + eventId 7+3 + topic 5+8 + partition 9+21
    // + offset 6+21 + producerSession 15+3 + partitionSequence 17+21 + recordTimestamp 15+21
    // + appliedAt 9+24 (an ISO timestamp) + event 5+(3 + amount 6+21 + note 4+2)
    expect(bytes).toBe(280);
  });

  it('counts a dead letter without event id or origin, its absent attributes 1 byte each', () => {
    const bytes = deadLetterEntryBytes(ref, {
      eventId: undefined,
      offset: 12,
      reason: 'MALFORMED',
      detail: 'no value',
      origin: undefined,
      applied: false,
    });
    // map 3 + pk 2+20 (PARTITION#payments-3) + sk 2+32 (DEAD_LETTER# and 20 digits) + kind 4+11
    // + eventId 7+1 + topic 5+8 + partition 9+21 + offset 6+21 + reason 6+9 + detail 6+8 + applied 7+1
    // + letter 6+7 (pending) + producerSession 15+1 + partitionSequence 17+1 + recordedAt 10+24
    expect(bytes).toBe(270);
  });

  it('counts a longer text by its bytes, so a large event weighs what it writes', () => {
    const entry = (note: string) => ({
      eventId: 'e-1',
      event: { note },
      offset: 10,
      origin: { producerSession: 's-1', partitionSequence: 0 },
      recordTimestamp: 1,
    });
    expect(appliedEntryBytes(ref, entry('€'.repeat(1000))) - appliedEntryBytes(ref, entry(''))).toBe(3000);
  });
});
