import { createLedgerClient } from '../ledger/client';
import { DynamoDbLedger } from '../ledger/ledger';
import { createKafka } from '../shared/kafka-client';
import { createObservability } from '../shared/observability';
import { type ProducerSessionOptions, WarmProducer } from '../shared/producer-session';
import type { ConsumeConfig } from './config';
import type { ConsumeDependencies } from './consume';
import { KafkaDeadLetterSink } from './dead-letters';

/** Powertools service name; POWERTOOLS_SERVICE_NAME overrides it, and the stack's alarms use the same. */
export const CONSUME_SERVICE = 'consume';

/**
 * The clients of one execution environment, created once at cold start: the ledger's DynamoDB client and the
 * warm dead-letter producer (connected lazily by the first dead letter, then reused).
 */
export function createConsumeDependencies(
  config: ConsumeConfig,
  options: Pick<ProducerSessionOptions, 'publishTimeoutMs'> = {},
): ConsumeDependencies & { producer: WarmProducer } {
  const { logger, metrics } = createObservability(CONSUME_SERVICE);
  const producer = new WarmProducer(() => createKafka(config.kafka, 'consume-dead-letters'), {
    ...options,
    onRetired: ({ sessionId, reason }) =>
      logger.warn('dead-letter producer session retired', { sessionId, reason }),
  });
  return {
    ledger: new DynamoDbLedger(
      createLedgerClient({ endpoint: config.dynamodbEndpoint, region: config.region }),
      config.ledgerTable,
    ),
    deadLetters: new KafkaDeadLetterSink(producer, config.deadLetterTopic, undefined, {
      maxMessageBytes: config.deadLetterMaxMessageBytes,
    }),
    producer,
    logger,
    metrics,
  };
}
