import type { Template } from 'aws-cdk-lib/assertions';
import { evaluate } from './intrinsics';
import { onlyLogicalId, resourcesOfType } from './stack-fixture';

export const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments/uuid-9';
export const topicArn = (topic: string): string =>
  `arn:aws:kafka:eu-west-1:123456789012:topic/payments/uuid-9/${topic}`;
export const groupArn = (group: string): string =>
  `arn:aws:kafka:eu-west-1:123456789012:group/payments/uuid-9/${group}`;

export type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

/**
 * Every statement of every policy attached to the role described as `roleDescription`, inline ones included,
 * with the cluster ARN (and any other given attribute) substituted for its token.
 */
export function roleStatements(
  template: Template,
  roleDescription: string,
  attributes: Readonly<Record<string, string>> = {},
): Statement[] {
  const roleId = onlyLogicalId(template, 'AWS::IAM::Role', { Description: roleDescription });
  const role = resourcesOfType(template, 'AWS::IAM::Role')[roleId];
  const inline = (
    (role?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[]
  ).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement);
  const clusterId = onlyLogicalId(template, 'AWS::MSK::Cluster');
  return evaluate([...inline, ...attached], {
    [`${clusterId}.Arn`]: CLUSTER_ARN,
    ...attributes,
  }) as Statement[];
}
