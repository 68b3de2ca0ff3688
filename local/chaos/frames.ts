/**
 * Splits one direction of a Kafka connection into size-delimited frames (4-byte big-endian size,
 * then the frame: https://kafka.apache.org/protocol.html#protocol_common). Unlike the broker's
 * request decoder it accepts any frame size, since it also reads responses (a Heartbeat response is 6 bytes).
 */
export class FrameSplitter {
  /** Received bytes not yet returned as frames, joined only once a whole frame is there. */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the next frame can be cut: its size prefix, then the whole frame. */
  private needed = 4;

  /** Adds received bytes; returns each completed frame including its size prefix. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return [];
    let bytes = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    const frames: Buffer[] = [];
    this.needed = 4;
    while (bytes.length >= 4) {
      const end = 4 + bytes.readInt32BE(0);
      if (end < 4) throw new RangeError(`frame size ${end - 4} is negative`);
      if (bytes.length < end) {
        this.needed = end;
        break;
      }
      frames.push(bytes.subarray(0, end));
      bytes = bytes.subarray(end);
    }
    this.chunks = bytes.length === 0 ? [] : [bytes];
    this.buffered = bytes.length;
    return frames;
  }
}

/** Request header v1 (non-flexible): api key i16, api version i16, correlation id i32, client id. */
export function requestHeaderOf(frame: Buffer): {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
} {
  return {
    apiKey: frame.readInt16BE(4),
    apiVersion: frame.readInt16BE(6),
    correlationId: frame.readInt32BE(8),
  };
}

/** Every response starts with the correlation id of its request. */
export function responseCorrelationIdOf(frame: Buffer): number {
  return frame.readInt32BE(4);
}

const PRODUCE_API_KEY = 0;

/**
 * The acks of a Produce request, or undefined when it is not one this parser knows.
 * Produce v3-v8 (non-flexible): header then transactional_id (nullable string), acks (i16).
 */
export function produceAcksOf(frame: Buffer): number | undefined {
  const { apiKey, apiVersion } = requestHeaderOf(frame);
  if (apiKey !== PRODUCE_API_KEY || apiVersion < 3 || apiVersion > 8) return undefined;
  let at = 12;
  const clientIdLength = frame.readInt16BE(at);
  at += 2 + Math.max(clientIdLength, 0);
  const transactionalIdLength = frame.readInt16BE(at);
  at += 2 + Math.max(transactionalIdLength, 0);
  return frame.readInt16BE(at);
}

export function isProduceRequest(frame: Buffer): boolean {
  return requestHeaderOf(frame).apiKey === PRODUCE_API_KEY;
}
