import * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { appNames } from '../functions/shared/app-names';
import { CLUSTER_TYPES, type ClusterType } from './cluster';
import { INGEST_AUTHORIZATION, type IngestAuthorization } from './ingest-api';
import type { PipelineStackProps } from './pipeline-stack';
import { appNameSetting, choiceSetting, patternSetting, StackSettingError } from './settings';

type ContextKey = (typeof CONTEXT_KEYS)[number];

function readContext(node: Node, key: ContextKey): unknown {
  return node.tryGetContext(key) ?? undefined;
}

function textContext(node: Node, key: ContextKey): string | undefined {
  const value = readContext(node, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new StackSettingError(key, `must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The id of the stack (also its CloudFormation stack name): `-c stackId`, else derived from `-c appName`,
 * e.g. "ExactlyOncePayments".
 */
export function stackIdFromContext(node: Node): string {
  const stackId = textContext(node, 'stackId');
  if (stackId !== undefined) {
    // CloudFormation's stack name rule (CreateStack API reference, StackName).
    return patternSetting(
      'stackId',
      stackId,
      /^[A-Za-z][A-Za-z0-9-]{0,127}$/,
      'a stack name of 1-128 of A-Z a-z 0-9 -, starting with a letter',
    );
  }
  const appName = readContext(node, 'appName');
  return appNames(appName === undefined ? undefined : appNameSetting(appName)).stackId;
}

/**
 * Stack settings a user can give without code: `cdk.json` "context" or `npx cdk deploy -c key=value`.
 * Each key is the name of the PipelineStackProps field it sets (`stackId` sets the stack's id), so a validation
 * message names the key. The names (stack id, topics, table, consumer group, namespace) default from `appName`.
 */
export const CONTEXT_KEYS = [
  'appName',
  'stackId',
  'topic',
  'deadLetterTopic',
  'ledgerTable',
  'consumerGroupId',
  'clusterType',
  'kafkaVersion',
  'brokerInstanceType',
  'brokerCount',
  'partitions',
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
export function stackPropsFromContext(node: Node): PipelineStackProps {
  const read = (key: ContextKey): unknown => readContext(node, key);
  const text = (key: ContextKey): string | undefined => textContext(node, key);
  const number = (key: ContextKey): number | undefined => {
    const value = read(key);
    if (value === undefined) return undefined;
    // `-c key=6` arrives as the string "6"; cdk.json may hold the number 6.
    const parsed = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof parsed !== 'number' || !Number.isFinite(parsed)) {
      throw new StackSettingError(key, `must be a number, got ${JSON.stringify(value)}`);
    }
    return parsed;
  };

  const flag = (key: ContextKey): boolean | undefined => {
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

  const appName = read('appName');
  return {
    appName: appName === undefined ? undefined : appNameSetting(appName),
    topic: text('topic'),
    deadLetterTopic: text('deadLetterTopic'),
    ledgerTable: text('ledgerTable'),
    consumerGroupId: text('consumerGroupId'),
    clusterType:
      clusterType === undefined
        ? undefined
        : choiceSetting<ClusterType>('clusterType', clusterType, CLUSTER_TYPES),
    kafkaVersion: text('kafkaVersion'),
    brokerInstanceType: text('brokerInstanceType'),
    brokerCount: number('brokerCount'),
    partitions: number('partitions'),
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
