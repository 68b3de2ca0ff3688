import { describe, expect, it } from 'vitest';
import { Policy, PolicyError } from '../../../../local/broker/auth/iam-policy';

const TOPIC = 'arn:aws:kafka:eu-west-1:111122223333:topic/payments/uuid-1/payments';

describe('IAM policy evaluation', () => {
  it('allows only what a statement allows, with * and ? wildcards, actions case-insensitive', () => {
    const policy = new Policy({
      Statement: [
        { Effect: 'Allow', Action: 'kafka-cluster:*Topic', Resource: 'arn:aws:kafka:*:*:topic/payments/*' },
        {
          Effect: 'Allow',
          Action: ['KAFKA-CLUSTER:WriteData'],
          Resource: TOPIC.replace('payments', 'payment?'),
        },
      ],
    });
    expect(policy.evaluate('kafka-cluster:DescribeTopic', TOPIC)).toBe('allow');
    expect(policy.evaluate('kafka-cluster:WriteData', TOPIC)).toBe('allow');
    expect(policy.evaluate('kafka-cluster:ReadData', TOPIC)).toBe('implicit-deny');
    expect(policy.evaluate('kafka-cluster:DescribeTopic', TOPIC.replace('topic/', 'group/'))).toBe(
      'implicit-deny',
    );
  });

  it('lets an explicit Deny win over any Allow, NotAction included', () => {
    const policy = new Policy({
      Statement: [
        { Effect: 'Allow', Action: 'kafka-cluster:*', Resource: '*' },
        { Effect: 'Deny', NotAction: 'kafka-cluster:Describe*', Resource: TOPIC },
      ],
    });
    expect(policy.evaluate('kafka-cluster:WriteData', TOPIC)).toBe('explicit-deny');
    expect(policy.evaluate('kafka-cluster:DescribeTopic', TOPIC)).toBe('allow');
  });

  it('refuses what it cannot evaluate faithfully, naming the statement and the value', () => {
    expect(
      () => new Policy({ Statement: [{ Effect: 'Permit' as 'Allow', Action: '*', Resource: '*' }] }),
    ).toThrow(new PolicyError('statement 0: Effect must be Allow or Deny, got "Permit"'));
    expect(
      () =>
        new Policy({
          Statement: [
            {
              Effect: 'Allow',
              Action: 'kafka-cluster:Connect',
              Resource: '*',
              Condition: { Bool: { x: 'y' } },
            },
          ],
        }),
    ).toThrow(/statement 0: conditions are not evaluated by the local IAM emulation/);
    expect(() => new Policy({ Statement: [{ Effect: 'Allow', Resource: '*' }] })).toThrow(
      'statement 0: expected exactly one of Action and NotAction',
    );
  });
});
