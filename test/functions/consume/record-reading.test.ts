import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent } from '../../../functions/consume/kafka-event';
import { type ReadRecord, readRecord } from '../../../functions/consume/record-reading';
import {
  invalidEvent,
  invalidEventField,
  mskEvent,
  mskRecord,
  type RecordSpec,
  sampleEvent,
  sampleRecord,
} from './support';

const S = '0b6c1e52-8d4f-4b7a-9a57-3f1f4f0a9e11';
const goodHeaders = { 'event-id': 'pay-1', 'producer-session': S, 'partition-sequence': '7' };

function read(record: ReturnType<typeof mskRecord>): ReadRecord {
  const source = decodeKafkaEvent(mskEvent([record]))[0]?.records[0];
  if (!source) throw new Error('no record');
  return readRecord(source);
}
const readSpec = (spec: Partial<RecordSpec>) => read(mskRecord({ offset: 0, ...spec }));

describe('readRecord', () => {
  it('reads a record written by the ingest function', () => {
    const record = read(sampleRecord({ eventId: 'pay-1', session: S, sequence: 7, offset: 3 }));
    expect(record.content).toEqual({ ok: true, event: sampleEvent('pay-1') });
    expect(record.eventId).toBe('pay-1');
    expect(record.origin).toEqual({ producerSession: S, partitionSequence: 7 });
  });

  it.each([
    ['no value', { value: null, headers: goodHeaders }, /has no value/],
    ['a value that is not JSON', { value: '{"eventId":', headers: goodHeaders }, /not UTF-8 JSON/],
    [
      'a value that is not UTF-8',
      { value: Buffer.from([0x7b, 0xff, 0x7d]), headers: goodHeaders },
      /not UTF-8 JSON/,
    ],
    [
      'no producer-session header',
      {
        value: JSON.stringify(sampleEvent('pay-1')),
        headers: { 'event-id': 'pay-1', 'partition-sequence': '1' },
      },
      /no producer-session header/,
    ],
    [
      'a sequence that is not a decimal number',
      {
        value: JSON.stringify(sampleEvent('pay-1')),
        headers: { ...goodHeaders, 'partition-sequence': '-1' },
      },
      /not an identifier and a decimal sequence/,
    ],
  ])('calls a record with %s MALFORMED', (_what, spec, detail) => {
    const record = readSpec(spec);
    expect(record.content).toMatchObject({
      ok: false,
      reason: 'MALFORMED',
      detail: expect.stringMatching(detail),
    });
  });

  it('calls a well-formed record that its schema refuses INVALID, naming the field', () => {
    const record = readSpec({
      value: JSON.stringify(invalidEvent('pay-1')),
      headers: goodHeaders,
    });
    expect(record.content).toMatchObject({
      ok: false,
      reason: 'INVALID',
      detail: expect.stringContaining(`${invalidEventField('pay-1')}:`),
    });
    // Still keyed by its event id, and its sequence still counts.
    expect(record.eventId).toBe('pay-1');
    expect(record.origin?.partitionSequence).toBe(7);
  });

  it('calls a record whose event-id header and body disagree INVALID', () => {
    const record = readSpec({ value: JSON.stringify(sampleEvent('pay-2')), headers: goodHeaders });
    expect(record.content).toMatchObject({
      ok: false,
      reason: 'INVALID',
      detail: expect.stringContaining('"pay-1"'),
    });
  });

  it('does not key the ledger by an event id that could not be a key', () => {
    const record = readSpec({ value: 'x', headers: { ...goodHeaders, 'event-id': 'a#b'.repeat(100) } });
    expect(record.eventId).toBeUndefined();
  });
});
