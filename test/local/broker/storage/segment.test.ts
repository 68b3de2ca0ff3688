import { describe, expect, it } from 'vitest';
import { MemorySegment } from '../../../../local/broker/storage/segment';

describe('MemorySegment', () => {
  it('reads back what was appended, within and across chunks', () => {
    const segment = new MemorySegment();
    const written: Buffer[] = [];
    // Enough 40 KiB batches to fill several chunks (64 KiB, 128 KiB, ...).
    for (let i = 0; i < 20; i++) {
      const batch = Buffer.alloc(40 * 1024, i);
      const position = segment.append([batch.subarray(0, 16), batch.subarray(16)]);
      expect(position).toBe(i * 40 * 1024);
      written.push(batch);
    }
    expect(segment.size).toBe(20 * 40 * 1024);
    expect(segment.read(0, segment.size).equals(Buffer.concat(written))).toBe(true);
    expect(segment.read(3 * 40 * 1024, 40 * 1024).equals(written[3] ?? Buffer.alloc(0))).toBe(true);
    expect(segment.read(19 * 40 * 1024 + 5, 10)).toEqual(Buffer.alloc(10, 19));
  });

  it('appends after a truncation as if the dropped bytes were never there', () => {
    const segment = new MemorySegment();
    for (let i = 0; i < 5; i++) segment.append([Buffer.alloc(50 * 1024, i)]);
    segment.truncate(2 * 50 * 1024);
    expect(segment.size).toBe(2 * 50 * 1024);
    expect(segment.append([Buffer.alloc(10, 9)])).toBe(2 * 50 * 1024);
    expect(segment.read(2 * 50 * 1024 - 2, 4)).toEqual(Buffer.from([1, 1, 9, 9]));
  });
});
