import { type LedgerSettings, readLedgerSettings } from '../ledger/settings';
import { type Env, topicSetting } from '../shared/config';
import { type KafkaSettings, readKafkaSettings } from '../shared/kafka-settings';

export interface ConsumeConfig extends LedgerSettings {
  readonly deadLetterTopic: string;
  readonly kafka: KafkaSettings;
}

/** Reads the consume function's settings once at cold start; a bad value stops start-up naming the setting. */
export function readConsumeConfig(env: Env): ConsumeConfig {
  return {
    ...readLedgerSettings(env),
    deadLetterTopic: topicSetting(env, 'DEAD_LETTER_TOPIC'),
    kafka: readKafkaSettings(env),
  };
}
