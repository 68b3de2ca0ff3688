import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Writer } from '../../../local/broker/protocol/writer';
import { FrameSplitter } from '../../../local/chaos/frames';
import { type LostAckProxy, startLostAckProxy } from '../../../local/chaos/proxy';

/** A request frame: header v1 plus, for Produce v3+, transactional id and acks. */
function request(apiKey: number, correlationId: number, acks = -1): Buffer {
  const writer = new Writer(false, true)
    .int16(apiKey)
    .int16(apiKey === 0 ? 7 : 1)
    .int32(correlationId)
    .string('test');
  if (apiKey === 0) writer.nullableString(null).int16(acks).int32(30_000).int32(0);
  return writer.finish();
}

/** A stand-in peer that answers every request with a response carrying its correlation id. */
async function startResponder(): Promise<{ server: Server; port: number; received: number[] }> {
  const received: number[] = [];
  const server = createServer((socket) => {
    const frames = new FrameSplitter();
    socket.on('data', (chunk) => {
      for (const frame of frames.push(chunk)) {
        const correlationId = frame.readInt32BE(8);
        received.push(correlationId);
        const acks = frame.readInt16BE(4) === 0 ? frame.readInt16BE(20) : -1;
        if (acks !== 0) socket.write(new Writer(false, true).int32(correlationId).int16(0).finish());
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, received };
}

/** Sends frames over one connection; resolves with the correlation ids answered before it closed. */
function exchange(
  port: number,
  frames: Buffer[],
  expectedResponses: number,
): Promise<{ answered: number[]; closed: boolean }> {
  return new Promise((resolve) => {
    const answered: number[] = [];
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const splitter = new FrameSplitter();
    socket.on('data', (chunk) => {
      for (const frame of splitter.push(chunk)) answered.push(frame.readInt32BE(4));
      if (answered.length === expectedResponses) {
        socket.destroy();
        resolve({ answered, closed: false });
      }
    });
    socket.on('close', () => resolve({ answered, closed: true }));
    socket.on('error', () => {});
    socket.write(Buffer.concat(frames));
  });
}

describe('startLostAckProxy', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function setup(
    dropShare: number,
    seed = 7,
  ): Promise<{ proxy: LostAckProxy; received: number[]; dropped: number[] }> {
    const responder = await startResponder();
    cleanups.push(() => new Promise((resolve) => responder.server.close(() => resolve())));
    const dropped: number[] = [];
    const proxy = await startLostAckProxy({
      target: { host: '127.0.0.1', port: responder.port },
      dropShare,
      seed,
      onAcknowledgementDropped: ({ correlationId }) => dropped.push(correlationId),
    });
    cleanups.push(() => proxy.close());
    return { proxy, received: responder.received, dropped };
  }

  it('delivers every response when no acknowledgement is to be lost', async () => {
    const { proxy } = await setup(0);
    const result = await exchange(proxy.port, [request(18, 1), request(0, 2), request(0, 3)], 3);
    expect(result).toEqual({ answered: [1, 2, 3], closed: false });
    expect(proxy.stats).toMatchObject({ produceRequests: 2, acknowledgementsDropped: 0 });
  });

  it('forwards a doomed Produce request, then closes the connection instead of answering it', async () => {
    const { proxy, received, dropped } = await setup(1);
    const result = await exchange(proxy.port, [request(3, 1), request(0, 2), request(3, 3)], 3);
    expect(dropped).toEqual([2]);
    // The Metadata answer before it arrives; the Produce was handled by the peer but never acknowledged.
    expect(result).toEqual({ answered: [1], closed: true });
    expect(received).toContain(2);
    expect(proxy.stats).toMatchObject({ produceRequests: 1, acknowledgementsDropped: 1 });
  });

  it('never drops acks=0 produce requests, which get no answer anyway', async () => {
    const { proxy } = await setup(1);
    const result = await exchange(proxy.port, [request(0, 1, 0), request(18, 2)], 1);
    expect(result).toEqual({ answered: [2], closed: false });
    expect(proxy.stats.acknowledgementsDropped).toBe(0);
  });

  it('loses about the configured share, the same ones for the same seed', async () => {
    async function dropPattern(seed: number): Promise<boolean[]> {
      const { proxy } = await setup(0.2, seed);
      const pattern: boolean[] = [];
      for (let i = 0; i < 200; i++) {
        const result = await exchange(proxy.port, [request(0, i)], 1);
        pattern.push(result.closed);
      }
      return pattern;
    }
    const first = await dropPattern(11);
    const again = await dropPattern(11);
    const other = await dropPattern(12);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const lost = first.filter(Boolean).length;
    expect(lost).toBeGreaterThan(20);
    expect(lost).toBeLessThan(60);
  });

  it('rejects a share outside 0..1', async () => {
    await expect(
      startLostAckProxy({ target: { host: '127.0.0.1', port: 1 }, dropShare: 1.5 }),
    ).rejects.toThrow('proxy setting dropShare is 1.5, expected a number from 0 to 1');
  });
});

describe('FrameSplitter', () => {
  it('joins frames split across chunks and splits frames sharing a chunk', () => {
    const splitter = new FrameSplitter();
    const a = new Writer(false, true).int32(1).int16(0).finish();
    const b = new Writer(false, true).int32(2).string('hello').finish();
    const both = Buffer.concat([a, b]);
    expect(splitter.push(both.subarray(0, 3))).toEqual([]);
    expect(splitter.push(both.subarray(3, a.length + 2))).toEqual([a]);
    expect(splitter.push(both.subarray(a.length + 2))).toEqual([b]);
  });
});
