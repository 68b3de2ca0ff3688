import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineLedger } from '../../lib/ledger';
import { testStack } from './stack-fixture';

describe('PipelineLedger', () => {
  let template: Template;
  let readerPolicy: unknown;
  beforeAll(() => {
    // GIVEN a stack, WHEN the ledger is created and a reader is granted reads
    const stack = testStack();
    const ledger = new PipelineLedger(stack, 'Ledger');
    const reader = new iam.Role(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    ledger.grantLedgerReads(reader);
    template = Template.fromStack(stack);
    readerPolicy = Object.values(template.findResources('AWS::IAM::Policy'))[0]?.Properties.PolicyDocument;
  });

  it('keys items by pk and sk strings, so events and per-partition state share one table', () => {
    // THEN
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    });
  });

  it('bills on demand, keeps point-in-time recovery, encrypts with KMS and is protected from deletion', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('grants readers GetItem and Query on the table only', () => {
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'))[0];
    expect(readerPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: ['dynamodb:GetItem', 'dynamodb:Query'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        },
      ],
    });
  });

  it('can be made disposable for test deployments', () => {
    const stack = testStack();
    new PipelineLedger(stack, 'Ledger', { removalPolicy: RemovalPolicy.DESTROY });
    const disposable = Template.fromStack(stack);
    disposable.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    disposable.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
  });
});
