import * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { CLUSTER_TYPES, type ClusterType } from './cluster';
import { INGEST_AUTHORIZATION, type IngestAuthorization } from './ingest-api';
import type { PaymentsStackProps } from './payments-stack';
import { choiceSetting, patternSetting, StackSettingError } from './settings';

/**
 * Stack settings a user can give without code: `cdk.json` "context" or `npx cdk deploy -c key=value`.
 * Each key is the name of the PaymentsStackProps field it sets, so a validation message names the key.
 */
export const CONTEXT_KEYS = [
  'clusterType',
  'kafkaVersion',
  'brokerInstanceType',
  'brokerCount',
  'paymentsPartitions',
  'ingestAuthorization',
  'ingestReservedConcurrency',
  'consumerBatchSize',
  'consumerRetryAttempts',
  'consumerMaximumPollers',
  'vpcId',
  'createVpcEndpoints',
  'logRetentionDays',
  'metricsNamespace',
] as const;

const RETENTION_DAYS: readonly number[] = Object.values(logs.RetentionDays).filter(
  (value): value is number => typeof value === 'number',
);

/** Reads the context keys that are set; ranges are checked by the constructs that use each value. */
export function stackPropsFromContext(node: Node): PaymentsStackProps {
  const read = (key: (typeof CONTEXT_KEYS)[number]): unknown => node.tryGetContext(key) ?? undefined;
  const text = (key: (typeof CONTEXT_KEYS)[number]): string | undefined => {
    const value = read(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new StackSettingError(key, `must be a non-empty string, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const number = (key: (typeof CONTEXT_KEYS)[number]): number | undefined => {
    const value = read(key);
    if (value === undefined) return undefined;
    // `-c key=6` arrives as the string "6"; cdk.json may hold the number 6.
    const parsed = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof parsed !== 'number' || !Number.isFinite(parsed)) {
      throw new StackSettingError(key, `must be a number, got ${JSON.stringify(value)}`);
    }
    return parsed;
  };

  const flag = (key: (typeof CONTEXT_KEYS)[number]): boolean | undefined => {
    const value = read(key);
    // `-c key=false` arrives as the string "false"; cdk.json may hold the boolean.
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new StackSettingError(key, `must be true or false, got ${JSON.stringify(value)}`);
  };

  const clusterType = read('clusterType');
  const ingestAuthorization = read('ingestAuthorization');
  const logRetentionDays = number('logRetentionDays');
  if (logRetentionDays !== undefined && !RETENTION_DAYS.includes(logRetentionDays)) {
    throw new StackSettingError(
      'logRetentionDays',
      `must be a CloudWatch Logs retention (${RETENTION_DAYS.join(', ')}), got ${logRetentionDays}`,
    );
  }
  const vpcId = text('vpcId');
  if (vpcId !== undefined) {
    patternSetting('vpcId', vpcId, /^vpc-[0-9a-f]{8,17}$/, 'a VPC id such as "vpc-0abc1234"');
  }

  return {
    clusterType:
      clusterType === undefined
        ? undefined
        : choiceSetting<ClusterType>('clusterType', clusterType, CLUSTER_TYPES),
    kafkaVersion: text('kafkaVersion'),
    brokerInstanceType: text('brokerInstanceType'),
    brokerCount: number('brokerCount'),
    paymentsPartitions: number('paymentsPartitions'),
    ingestAuthorization:
      ingestAuthorization === undefined
        ? undefined
        : choiceSetting<IngestAuthorization>(
            'ingestAuthorization',
            ingestAuthorization,
            INGEST_AUTHORIZATION,
          ),
    ingestReservedConcurrency: number('ingestReservedConcurrency'),
    consumerBatchSize: number('consumerBatchSize'),
    consumerRetryAttempts: number('consumerRetryAttempts'),
    consumerMaximumPollers: number('consumerMaximumPollers'),
    vpcId,
    createVpcEndpoints: flag('createVpcEndpoints'),
    logRetention: logRetentionDays as logs.RetentionDays | undefined,
    metricsNamespace: text('metricsNamespace'),
  };
}
