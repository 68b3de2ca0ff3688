import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  choiceSetting,
  durationSetting,
  integerSetting,
  StackSettingError,
  topicNameSetting,
} from '../../lib/settings';

describe('settings', () => {
  it('accepts integers in range, given as numbers or numeric strings', () => {
    expect(integerSetting('n', 5, { min: 1, max: 10 })).toBe(5);
    expect(integerSetting('n', ' 7 ', { min: 1, max: 10 })).toBe(7);
  });

  it('reports the setting, the range and the value received, with a stable code', () => {
    const failure = (() => {
      try {
        integerSetting('partitions', 'abc', { min: 1, max: 1000 });
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(StackSettingError);
    expect(failure).toMatchObject({
      code: 'STACK_SETTING_INVALID',
      setting: 'partitions',
      message: 'partitions must be an integer from 1 to 1000, got "abc"',
    });
  });

  it.each([[''], ['  '], [Number.NaN], [11], [0], [1.5], [null]])(
    'rejects %o as an integer from 1 to 10',
    (value) => {
      expect(() => integerSetting('n', value, { min: 1, max: 10 })).toThrow(
        /n must be an integer from 1 to 10/,
      );
    },
  );

  it('accepts only listed choices', () => {
    expect(choiceSetting('mode', 'b', ['a', 'b'] as const)).toBe('b');
    expect(() => choiceSetting('mode', 'c', ['a', 'b'] as const)).toThrow(
      'mode must be one of a | b, got "c"',
    );
  });

  it("follows Kafka's topic name rule", () => {
    expect(topicNameSetting('topic', 'payments.dead-letter_v2')).toBe('payments.dead-letter_v2');
    expect(() => topicNameSetting('topic', 'a'.repeat(250))).toThrow(/topic must be a Kafka topic name/);
    expect(() => topicNameSetting('topic', 'pay/ments')).toThrow(/got "pay\/ments"/);
  });

  it('bounds durations and shows seconds', () => {
    const range = { min: Duration.minutes(1), max: Duration.days(7) };
    expect(durationSetting('age', Duration.hours(1), range).toSeconds()).toBe(3600);
    expect(() => durationSetting('age', Duration.days(8), range)).toThrow(
      'age must be from 60 to 604800 seconds, got 691200',
    );
  });
});
