import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ledgerTableProblem } from '../functions/shared/app-names';
import { nameSetting } from './settings';

export interface PipelineLedgerProps {
  /**
   * Name of the DynamoDB table. A fixed name lets operators and the local pipeline find the table; changing it
   * replaces the table (the old one is retained by default, not emptied).
   * @default - a name CloudFormation generates
   */
  readonly tableName?: string;
  /**
   * What happens to the ledger when it leaves the stack. Its events are records of business facts (payments
   * are records of money): keep them by default.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The ledger: one table holding applied events and the consumer's per-partition / per-session state,
 * told apart by key (`pk` string, `sk` string). On-demand, point-in-time recovery, encrypted at rest.
 */
export class PipelineLedger extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: PipelineLedgerProps = {}) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      tableName: props.tableName && nameSetting('ledgerTable', props.tableName, ledgerTableProblem),
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      deletionProtection: (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /**
   * Reads and conditional writes of single items; TransactWriteItems is authorised per item by these same
   * actions. No Scan, no Query, no DeleteItem: the consumer only adds to the ledger.
   */
  grantLedgerWrites(grantee: iam.IGrantable): void {
    this.table.grant(
      grantee,
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
    );
  }

  /** Reads of one key's items (GetItem, Query), e.g. for a status lookup by event id. No Scan. */
  grantLedgerReads(grantee: iam.IGrantable): void {
    this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:Query');
  }
}
