import { createIngestHandler } from './ingest-handler';
import { readIngestSettings } from './settings';

/**
 * POST /<events> (API Gateway HTTP API, payload v2). Settings are read once per execution environment, at
 * cold start: a bad value fails the start with a message naming the setting. The producer opens lazily on
 * the first invocation and is reused by every later one.
 */
export const handler = createIngestHandler({ settings: readIngestSettings(process.env) });
