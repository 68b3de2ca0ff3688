/** Errors raised while decoding a request. The server closes the connection on them (as Kafka does). */

export type ProtocolErrorCode = 'TRUNCATED_REQUEST' | 'MALFORMED_REQUEST' | 'UNSUPPORTED_API';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class TruncatedRequestError extends ProtocolError {
  constructor(needed: number, offset: number, size: number) {
    super(
      'TRUNCATED_REQUEST',
      `request truncated: needed ${needed} byte(s) at offset ${offset}, but the request has ${size} byte(s)`,
    );
  }
}

export class MalformedRequestError extends ProtocolError {
  constructor(message: string) {
    super('MALFORMED_REQUEST', message);
  }
}
