import { readConsumeConfig } from './config';
import { createConsumeHandler } from './consume';
import { createConsumeDependencies } from './dependencies';

/**
 * Lambda entry point for the Kafka event source mapping (MSK or self-managed Kafka). Settings are read and
 * clients created once per execution environment; a bad setting fails the cold start naming it.
 */
export const handler = createConsumeHandler(createConsumeDependencies(readConsumeConfig(process.env)));
