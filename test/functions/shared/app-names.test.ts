import { describe, expect, it } from 'vitest';
import {
  appNameProblem,
  appNames,
  consumerGroupIdProblem,
  DEFAULT_APP_NAME,
  ledgerTableProblem,
  metricsNamespaceProblem,
} from '../../../functions/shared/app-names';

describe('appNames', () => {
  it('derives every name from the application name', () => {
    expect(appNames('payments')).toEqual({
      appName: 'payments',
      displayName: 'Payments',
      stackId: 'ExactlyOncePayments',
      topic: 'payments',
      deadLetterTopic: 'payments-dead-letter',
      ledgerTable: 'payments-ledger',
      consumerGroupId: 'payments-ledger',
      metricsNamespace: 'ExactlyOncePayments',
    });
  });

  it('takes DEFAULT_APP_NAME when no application name is given', () => {
    expect(appNames()).toEqual(appNames(DEFAULT_APP_NAME));
    expect(appNames().appName).toBe(DEFAULT_APP_NAME);
  });

  it('turns a hyphenated name into PascalCase for the stack id and namespace, and words for descriptions', () => {
    expect(appNames('order-events')).toMatchObject({
      displayName: 'Order events',
      stackId: 'ExactlyOnceOrderEvents',
      metricsNamespace: 'ExactlyOnceOrderEvents',
      topic: 'order-events',
      deadLetterTopic: 'order-events-dead-letter',
    });
  });

  it('replaces only the names given, and ignores overrides left undefined', () => {
    const names = appNames('orders', { topic: 'orders-v2', ledgerTable: undefined });
    expect(names.topic).toBe('orders-v2');
    expect(names.deadLetterTopic).toBe('orders-dead-letter');
    expect(names.ledgerTable).toBe('orders-ledger');
  });

  it.each(['Orders', '1orders', 'orders-', 'or--ders', 'or_ders', '', 'a'.repeat(41)])(
    'refuses the application name %j, showing it',
    (appName) => {
      expect(appNameProblem(appName)).toContain(`got ${JSON.stringify(appName)}`);
      expect(() => appNames(appName)).toThrow(/^appName must be 1-40 of a-z 0-9 and single hyphens/);
    },
  );

  it('accepts the longest and the shortest application names', () => {
    expect(appNameProblem('a'.repeat(40))).toBeUndefined();
    expect(appNameProblem('o')).toBeUndefined();
  });

  it('checks consumer group ids with Lambda rule and namespaces with CloudWatch rule', () => {
    expect(consumerGroupIdProblem('orders-ledger/v2@eu')).toBeUndefined();
    expect(consumerGroupIdProblem('orders ledger')).toMatch(/consumer group id .*got "orders ledger"/);
    expect(metricsNamespaceProblem('Orders/Prod#1')).toBeUndefined();
    expect(metricsNamespaceProblem('has spaces')).toMatch(/CloudWatch namespace .*got "has spaces"/);
  });

  it('checks ledger table names with DynamoDB rule', () => {
    expect(ledgerTableProblem('orders_ledger.v2')).toBeUndefined();
    expect(ledgerTableProblem('ab')).toMatch(/DynamoDB table name .*got "ab"/);
    expect(ledgerTableProblem('orders ledger')).toMatch(/got "orders ledger"/);
  });
});
