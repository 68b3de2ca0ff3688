import fc from 'fast-check';
import { expect } from 'vitest';
import { RequestRejected } from '../../../functions/ingest/errors';
import { parseIngestRequest } from '../../../functions/ingest/request';
import { readIngestSettings } from '../../../functions/ingest/settings';
import { appNames } from '../../../functions/shared/app-names';
import { httpApiEvent, jsonPost } from '../../helpers/api-gateway';
import type { MalformedRequest } from './malformed-requests';

/** The ingest function's default request limits. */
export const { limits } = readIngestSettings({
  KAFKA_BROKERS: '127.0.0.1:9092',
  EVENTS_TOPIC: appNames().topic,
});

/** The rejection `run` throws; fails when it accepts the request. */
export function rejection(run: () => unknown): RequestRejected {
  try {
    run();
  } catch (error) {
    if (error instanceof RequestRejected) return error;
    throw error;
  }
  throw new Error('expected the request to be rejected, but it was accepted');
}

/** Every request of `requests` is refused with a 4xx that names at least one field and problem. */
export function expectEachRefused(requests: fc.Arbitrary<MalformedRequest>): void {
  fc.assert(
    fc.property(requests, ({ event }) => {
      const rejected = rejection(() => parseIngestRequest(event, limits));
      expect(rejected.statusCode).toBeGreaterThanOrEqual(400);
      expect(rejected.statusCode).toBeLessThan(500);
      expect(rejected.issues.length).toBeGreaterThan(0);
      for (const issue of rejected.issues) {
        expect(issue.field).not.toBe('');
        expect(issue.problem).not.toBe('');
      }
    }),
    { numRuns: 500 },
  );
}

/** `event` sent base64-encoded with a UTF-8 charset parameter is read back unchanged. */
export function expectReadFromBase64(event: object): void {
  const request = parseIngestRequest(
    httpApiEvent({
      body: event,
      base64: true,
      headers: { 'Content-Type': 'application/json; charset="UTF-8"' },
    }),
    limits,
  );
  expect(request).toEqual({ form: 'single', event });
}

/** Every event of `events` is accepted unchanged, as a single request and inside a batch. */
export function expectEachAccepted(events: fc.Arbitrary<object>): void {
  fc.assert(
    fc.property(events, (event) => {
      expect(parseIngestRequest(jsonPost(event), limits)).toEqual({ form: 'single', event });
      expect(parseIngestRequest(jsonPost([event]), limits)).toEqual({ form: 'batch', events: [event] });
    }),
  );
}
