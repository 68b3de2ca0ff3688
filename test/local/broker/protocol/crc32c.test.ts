import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../../local/broker/protocol/crc32c';

// Test vectors from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
describe('crc32c', () => {
  it('matches the CRC-32C check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('matches RFC 3720 B.4: 32 bytes of zeros', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
  });

  it('matches RFC 3720 B.4: 32 bytes of 0xff', () => {
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
  });

  it('matches RFC 3720 B.4: incrementing and decrementing bytes', () => {
    const up = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const down = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));
    expect(crc32c(up)).toBe(0x46dd794e);
    expect(crc32c(down)).toBe(0x113fdb5c);
  });

  it('returns 0 for empty input', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('checksums a sub-range and continues across pieces like one pass', () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff));
    const whole = crc32c(data);
    for (const cut of [0, 1, 7, 8, 9, 333, 999, 1000]) {
      expect(crc32c(data, cut, data.length, crc32c(data, 0, cut))).toBe(whole);
    }
    const framed = Buffer.concat([Buffer.from('xx'), Buffer.from('123456789'), Buffer.from('yy')]);
    expect(crc32c(framed, 2, 11)).toBe(0xe3069283);
  });
});
