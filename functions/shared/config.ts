import { ConfigError } from './errors';
import { topicNameProblem } from './topic-name';

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a required setting; a missing or blank value stops start-up naming the setting. */
export function requireSetting(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, 'is required but was not set');
  return value;
}

export function optionalSetting(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Reads a positive integer setting with a default, rejecting anything else with the value received. */
export function integerSetting(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const raw = optionalSetting(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(name, `must be an integer from ${range.min} to ${range.max}, got "${raw}"`);
  }
  return value;
}

/** A topic name Kafka accepts (see topic-name.ts). */
export function topicSetting(env: Env, name: string): string {
  const topic = requireSetting(env, name);
  const problem = topicNameProblem(topic);
  if (problem !== undefined)
    throw new ConfigError(name, `"${topic}" is not a valid Kafka topic name: ${problem}`);
  return topic;
}
