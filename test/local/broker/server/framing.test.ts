import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameError } from '../../../../local/broker/server/framing';

function frame(body: string): Buffer {
  const bytes = Buffer.from(body);
  const size = Buffer.alloc(4);
  size.writeInt32BE(bytes.length);
  return Buffer.concat([size, bytes]);
}

describe('FrameDecoder', () => {
  it('returns every frame of a chunk, without its size prefix', () => {
    const decoder = new FrameDecoder(1000);
    const frames = decoder.push(Buffer.concat([frame('first request'), frame('second request')]));
    expect(frames.map((f) => f.toString())).toEqual(['first request', 'second request']);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('reassembles frames cut at any byte, including inside the size prefix', () => {
    const stream = Buffer.concat([frame('0123456789abc'), frame('another frame'), frame('third one!')]);
    for (let cut = 1; cut < stream.length; cut++) {
      for (const step of [1, 3, cut]) {
        const decoder = new FrameDecoder(1000);
        const frames: string[] = [];
        for (let at = 0; at < stream.length; at += step) {
          frames.push(
            ...decoder.push(stream.subarray(at, Math.min(at + step, stream.length))).map((f) => f.toString()),
          );
        }
        expect(frames).toEqual(['0123456789abc', 'another frame', 'third one!']);
      }
    }
  });

  it('refuses a frame larger than the maximum as soon as its size is known', () => {
    const decoder = new FrameDecoder(16);
    const header = Buffer.alloc(4);
    header.writeInt32BE(17);
    expect(() => decoder.push(header)).toThrow(FrameError);
    expect(() => new FrameDecoder(16).push(header)).toThrow('frame of 17 bytes exceeds the maximum of 16');
  });

  it('refuses negative sizes and sizes too small for a request header', () => {
    expect(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xfe]))).toThrow(/frame size -2/);
    expect(() => new FrameDecoder(100).push(frame('tiny'))).toThrow(/frame size 4 is smaller/);
  });

  it('keeps an incomplete frame pending', () => {
    const decoder = new FrameDecoder(100);
    expect(decoder.push(frame('incomplete frame').subarray(0, 10))).toEqual([]);
    expect(decoder.pendingBytes).toBe(10);
  });
});
