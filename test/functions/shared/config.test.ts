import { describe, expect, it } from 'vitest';
import {
  integerSetting,
  optionalSetting,
  requireSetting,
  topicSetting,
} from '../../../functions/shared/config';
import { ConfigError } from '../../../functions/shared/errors';

describe('settings helpers', () => {
  it('reads a required setting, trimmed, and names a missing or blank one', () => {
    expect(requireSetting({ NAME: '  value ' }, 'NAME')).toBe('value');
    expect(() => requireSetting({}, 'NAME')).toThrow(new ConfigError('NAME', 'is required but was not set'));
    expect(() => requireSetting({ NAME: '   ' }, 'NAME')).toThrow('NAME: is required but was not set');
  });

  it('treats a blank optional setting as absent', () => {
    expect(optionalSetting({ NAME: ' ' }, 'NAME')).toBeUndefined();
    expect(optionalSetting({ NAME: 'x' }, 'NAME')).toBe('x');
  });

  it('reads an integer in range, falls back when absent, and shows the bad value otherwise', () => {
    const range = { min: 1, max: 10 };

    expect(integerSetting({}, 'COUNT', 5, range)).toBe(5);
    expect(integerSetting({ COUNT: '10' }, 'COUNT', 5, range)).toBe(10);
    for (const bad of ['0', '11', '2.5', 'ten', '1e9']) {
      expect(() => integerSetting({ COUNT: bad }, 'COUNT', 5, range)).toThrow(
        `COUNT: must be an integer from 1 to 10, got "${bad}"`,
      );
    }
  });

  it("accepts Kafka's legal topic names only", () => {
    expect(topicSetting({ TOPIC: 'payments.v1_eu-west' }, 'TOPIC')).toBe('payments.v1_eu-west');
    for (const bad of ['..', '.', 'pay ments', 'päyments', 'x'.repeat(250)]) {
      expect(() => topicSetting({ TOPIC: bad }, 'TOPIC')).toThrow(
        /^TOPIC: ".*" is not a valid Kafka topic name/,
      );
    }
  });

  it('gives config errors a stable code and the setting name', () => {
    const error = new ConfigError('KAFKA_AUTH', 'is wrong');

    expect([error.code, error.setting, error.message]).toEqual([
      'CONFIG_INVALID',
      'KAFKA_AUTH',
      'KAFKA_AUTH: is wrong',
    ]);
  });
});
