import type { Duration } from 'aws-cdk-lib';
import { APP_NAME_RULE, appNameProblem } from '../functions/shared/app-names';
import { isKafkaTopicName } from '../functions/shared/topic-name';

/** A stack setting (construct prop or `-c` context value) is invalid: synth stops naming the setting. */
export class StackSettingError extends Error {
  readonly code = 'STACK_SETTING_INVALID';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting} ${message}`);
    this.name = 'StackSettingError';
  }
}

/** Accepts an integer, or a string holding one (context given on the command line arrives as a string). */
export function integerSetting(setting: string, value: unknown, range: { min: number; max: number }): number {
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed) || parsed < range.min || parsed > range.max) {
    throw new StackSettingError(
      setting,
      `must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
}

export function choiceSetting<T extends string>(
  setting: string,
  value: unknown,
  choices: readonly T[],
  /** What the choices are, shown after them, e.g. "MSK versions". */
  meaning?: string,
): T {
  const match = choices.find((choice) => choice === value);
  if (match === undefined) {
    const listed = meaning ? `${choices.join(' | ')} (${meaning})` : choices.join(' | ');
    throw new StackSettingError(setting, `must be one of ${listed}, got ${JSON.stringify(value)}`);
  }
  return match;
}

export function patternSetting(setting: string, value: unknown, pattern: RegExp, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new StackSettingError(setting, `must be ${expected}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A topic name Kafka accepts; the topic custom resource checks names with the same rule. */
export function topicNameSetting(setting: string, value: unknown): string {
  if (typeof value !== 'string' || !isKafkaTopicName(value)) {
    throw new StackSettingError(
      setting,
      `must be a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -, not "." or ".."), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A name checked by one of the rules of functions/shared/app-names.ts. */
export function nameSetting(
  setting: string,
  value: string,
  problem: (value: string) => string | undefined,
): string {
  const found = problem(value);
  if (found !== undefined) throw new StackSettingError(setting, found);
  return value;
}

/** The application name the stack's other names derive from (see functions/shared/app-names.ts). */
export function appNameSetting(value: unknown): string {
  const problem =
    typeof value === 'string'
      ? appNameProblem(value)
      : `must be ${APP_NAME_RULE}, got ${JSON.stringify(value)}`;
  if (problem !== undefined) throw new StackSettingError('appName', problem);
  return value as string;
}

/** Durations bounded in whole seconds, shown back in seconds when out of range. */
export function durationSetting(
  setting: string,
  value: Duration,
  range: { min: Duration; max: Duration },
): Duration {
  const seconds = value.toSeconds();
  if (seconds < range.min.toSeconds() || seconds > range.max.toSeconds()) {
    throw new StackSettingError(
      setting,
      `must be from ${range.min.toSeconds()} to ${range.max.toSeconds()} seconds, got ${seconds}`,
    );
  }
  return value;
}
