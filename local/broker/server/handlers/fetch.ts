/**
 * Fetch with long polling: answers at once when at least min_bytes are available (or on an error),
 * otherwise waits for appends to the fetched partitions until max_wait_ms. Whole batches only, at
 * least one for the first partition that has data even beyond max_bytes (KIP-74). read_committed
 * fetches stop at the last stable offset and carry the aborted transactions they overlap (KIP-98).
 */
import type {
  FetchPartitionResponse,
  FetchRequest,
  FetchResponse,
  FetchTopicResponse,
} from '../../protocol/apis/fetch';
import type { BrokerContext, RequestContext } from '../context';

const MAX_TIMER_MS = 2_147_483_647;
/** Fetch isolation_level 1: only records below the last stable offset, with the aborted transactions. */
const READ_COMMITTED = 1;

interface Collected {
  readonly response: FetchResponse;
  readonly bytes: number;
  readonly failed: boolean;
}

function collect(request: FetchRequest, broker: BrokerContext): Collected {
  let remaining = request.maxBytes;
  let bytes = 0;
  let failed = false;
  const topics = request.topics.map(
    (topic): FetchTopicResponse => ({
      topic: topic.topic,
      // Storage answers an unknown topic or partition itself (UNKNOWN_TOPIC_OR_PARTITION, offsets -1).
      partitions: topic.partitions.map((p): FetchPartitionResponse => {
        const limit = Math.max(0, Math.min(p.partitionMaxBytes, remaining));
        const read = broker.storage.read(
          topic.topic,
          p.partition,
          p.fetchOffset,
          limit,
          request.isolationLevel === READ_COMMITTED ? 'read_committed' : 'read_uncommitted',
        );
        if (read.errorCode !== 0) failed = true;
        // Storage always returns at least one batch; past the first partition with data, a batch
        // larger than what is left of max_bytes waits for a later fetch.
        const size = read.batches.reduce((sum, batch) => sum + batch.bytes.length, 0);
        const fits = bytes === 0 || size <= limit;
        if (fits) {
          bytes += size;
          remaining -= size;
        }
        return {
          partition: p.partition,
          errorCode: read.errorCode,
          highWatermark: read.highWatermark,
          lastStableOffset: read.lastStableOffset,
          logStartOffset: read.logStartOffset,
          batches: fits ? read.batches.map((batch) => batch.bytes) : [],
          abortedTransactions: fits ? read.abortedTransactions : [],
        };
      }),
    }),
  );
  return { response: { errorCode: 0, sessionId: 0, topics }, bytes, failed };
}

export async function handleFetch(
  request: FetchRequest,
  broker: BrokerContext,
  context: RequestContext,
): Promise<FetchResponse> {
  const deadline = Date.now() + request.maxWaitMs;
  const partitions = request.topics.flatMap((topic) =>
    topic.partitions.map((p) => ({ topic: topic.topic, partition: p.partition })),
  );
  for (;;) {
    const collected = collect(request, broker);
    const wait = deadline - Date.now();
    if (collected.bytes >= request.minBytes || collected.failed || wait <= 0 || context.signal.aborted) {
      return collected.response;
    }
    const stop = new AbortController();
    // setTimeout takes at most 2^31-1 ms; a longer max_wait_ms just waits in several steps.
    const timer = setTimeout(() => stop.abort(), Math.min(wait, MAX_TIMER_MS));
    const onClose = () => stop.abort();
    context.signal.addEventListener('abort', onClose, { once: true });
    try {
      await broker.storage.waitForAppend(partitions, stop.signal);
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onClose);
      stop.abort();
    }
  }
}
