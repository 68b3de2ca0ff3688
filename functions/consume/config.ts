import { type LedgerSettings, readLedgerSettings } from '../ledger/settings';
import { type Env, integerSetting, topicSetting } from '../shared/config';
import { type KafkaSettings, readKafkaSettings } from '../shared/kafka-settings';
import { DEFAULT_MAX_LETTER_BYTES } from './dead-letters';

export interface ConsumeConfig extends LedgerSettings {
  readonly deadLetterTopic: string;
  /** The dead-letter topic's largest record (its max.message.bytes, less framing). */
  readonly deadLetterMaxMessageBytes: number;
  readonly kafka: KafkaSettings;
}

/** Reads the consume function's settings once at cold start; a bad value stops start-up naming the setting. */
export function readConsumeConfig(env: Env): ConsumeConfig {
  return {
    ...readLedgerSettings(env),
    deadLetterTopic: topicSetting(env, 'DEAD_LETTER_TOPIC'),
    // 8 KiB leaves room for the coordinates, the detail and a preview; MSK Serverless allows 8 MiB.
    deadLetterMaxMessageBytes: integerSetting(
      env,
      'DEAD_LETTER_MAX_MESSAGE_BYTES',
      DEFAULT_MAX_LETTER_BYTES,
      { min: 8192, max: 8 * 1024 * 1024 },
    ),
    kafka: readKafkaSettings(env),
  };
}
