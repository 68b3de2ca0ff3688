import { describe, expect, it } from 'vitest';
import { brokerPrefix } from '../../../../local/broker/storage/batch-layout';
import { recoverSegment, type TornTail } from '../../../../local/broker/storage/log-recovery';
import { MemorySegment } from '../../../../local/broker/storage/segment';
import { buildBatch, records } from './batch-fixture';

/** A segment holding batches of the given sizes stored at the given base offsets. */
function segmentWith(batches: ReadonlyArray<{ baseOffset: bigint; records: number }>) {
  const segment = new MemorySegment();
  const sizes: number[] = [];
  for (const { baseOffset, records: count } of batches) {
    const { bytes } = buildBatch({ records: records(count) });
    segment.append([brokerPrefix(bytes, baseOffset), bytes.subarray(16)]);
    sizes.push(bytes.length);
  }
  return { segment, sizes };
}

describe('recoverSegment', () => {
  it('yields every batch of a sound segment with its position and header', () => {
    const { segment, sizes } = segmentWith([
      { baseOffset: 0n, records: 3 },
      { baseOffset: 3n, records: 1 },
    ]);
    const tails: TornTail[] = [];
    const found = [...recoverSegment(segment, 0n, (tail) => tails.push(tail))];
    expect(found.map((b) => [b.position, b.header.recordCount])).toEqual([
      [0, 3],
      [sizes[0], 1],
    ]);
    expect(tails).toEqual([]);
    expect(segment.size).toBe((sizes[0] ?? 0) + (sizes[1] ?? 0));
  });

  it('cuts the segment at a batch whose base offset does not follow its predecessor', () => {
    const { segment, sizes } = segmentWith([
      { baseOffset: 0n, records: 3 },
      { baseOffset: 5n, records: 1 },
      { baseOffset: 6n, records: 1 },
    ]);
    const tails: TornTail[] = [];
    const found = [...recoverSegment(segment, 0n, (tail) => tails.push(tail))];
    expect(found).toHaveLength(1);
    expect(tails).toEqual([
      {
        validBytes: sizes[0],
        truncatedBytes: (sizes[1] ?? 0) + (sizes[2] ?? 0),
        reason: `batch at ${sizes[0]} has base offset 5, expected 3`,
      },
    ]);
    expect(segment.size).toBe(sizes[0]);
  });

  it('yields nothing for an empty segment', () => {
    expect([...recoverSegment(new MemorySegment(), 0n)]).toEqual([]);
  });
});
