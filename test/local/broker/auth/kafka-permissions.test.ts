/**
 * The permission rules of the transaction and config APIs, on requests kafkajs cannot make on its own (a
 * transactional id refused after InitProducerId, IncrementalAlterConfigs, several topics at once): each
 * refused entry gets Kafka's error, the handler only sees what the principal may touch. The rules run
 * against a real principal's policy, through the broker's own access checks.
 */
import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../../local/broker/auth/iam-policy';
import {
  type Access,
  type Admission,
  addOffsetsToTxnPermission,
  addPartitionsToTxnPermission,
  alterConfigsPermission,
  endTxnPermission,
  txnOffsetCommitPermission,
} from '../../../../local/broker/auth/kafka-permissions';
import { LocalIam } from '../../../../local/broker/auth/local-iam';
import { accessFor } from '../../../../local/broker/auth/sasl-session';
import { ErrorCode } from '../../../../local/broker/protocol/error-codes';
import { ADMIN_POLICY, TEST_CLUSTER_ARN } from '../../../helpers/iam-kafka';

const iam = new LocalIam(TEST_CLUSTER_ARN);
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Access for a principal allowed everything except `action` on the resources `resource` names. */
function accessWithout(action: string, resource: (access: Access) => string): Access {
  const everything = accessWith(ADMIN_POLICY);
  const policy: PolicyDocument = {
    Statement: [
      ...ADMIN_POLICY.Statement,
      { Effect: 'Deny', Action: action, Resource: resource(everything) },
    ],
  };
  return accessWith(policy);
}

function accessWith(policy: PolicyDocument): Access {
  return accessFor(iam.addPrincipal('rule-test', policy), iam, silent);
}

function answerOf<Request, Response>(admission: Admission<Request, Response>) {
  if (!('answer' in admission)) throw new Error('expected an answer without calling the handler');
  return admission.answer;
}

const transaction = { transactionalId: 'tx-1', producerId: 7n, producerEpoch: 0 };
const TRANSACTION_DENIED = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
const withoutTransaction = () =>
  accessWithout('kafka-cluster:AlterTransactionalId', (access) => access.transactionalIdArn('tx-1'));

describe('AddPartitionsToTxn', () => {
  const request = {
    ...transaction,
    topics: [
      { name: 'allowed', partitions: [0, 1] },
      { name: 'refused', partitions: [0] },
    ],
  };

  it('refuses every partition with TRANSACTIONAL_ID_AUTHORIZATION_FAILED without AlterTransactionalId', () => {
    expect(answerOf(addPartitionsToTxnPermission(request, withoutTransaction()))).toEqual({
      results: [
        {
          name: 'allowed',
          results: [
            { partitionIndex: 0, errorCode: TRANSACTION_DENIED },
            { partitionIndex: 1, errorCode: TRANSACTION_DENIED },
          ],
        },
        { name: 'refused', results: [{ partitionIndex: 0, errorCode: TRANSACTION_DENIED }] },
      ],
    });
  });

  it('adds no partition when a topic lacks WriteData: it gets 29, the others OPERATION_NOT_ATTEMPTED', () => {
    const access = accessWithout('kafka-cluster:WriteData', (a) => a.topicArn('refused'));
    const notAttempted = ErrorCode.OPERATION_NOT_ATTEMPTED;
    expect(answerOf(addPartitionsToTxnPermission(request, access))).toEqual({
      results: [
        {
          name: 'allowed',
          results: [
            { partitionIndex: 0, errorCode: notAttempted },
            { partitionIndex: 1, errorCode: notAttempted },
          ],
        },
        {
          name: 'refused',
          results: [{ partitionIndex: 0, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }],
        },
      ],
    });
    expect(addPartitionsToTxnPermission(request, accessWith(ADMIN_POLICY))).toEqual({ request });
  });
});

describe('AddOffsetsToTxn and EndTxn', () => {
  const addOffsets = { ...transaction, groupId: 'group-1' };
  const endTxn = { ...transaction, committed: true };

  it('answer TRANSACTIONAL_ID_AUTHORIZATION_FAILED without AlterTransactionalId', () => {
    expect(answerOf(addOffsetsToTxnPermission(addOffsets, withoutTransaction()))).toEqual({
      errorCode: TRANSACTION_DENIED,
    });
    expect(answerOf(endTxnPermission(endTxn, withoutTransaction()))).toEqual({
      errorCode: TRANSACTION_DENIED,
    });
  });

  it('AddOffsetsToTxn answers GROUP_AUTHORIZATION_FAILED without AlterGroup on the group', () => {
    const access = accessWithout('kafka-cluster:AlterGroup', (a) => a.groupArn('group-1'));
    expect(answerOf(addOffsetsToTxnPermission(addOffsets, access))).toEqual({
      errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    });
    expect(endTxnPermission(endTxn, access)).toEqual({ request: endTxn });
  });
});

describe('TxnOffsetCommit', () => {
  const offset = { committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null };
  const request = {
    ...transaction,
    groupId: 'group-1',
    topics: [
      { name: 'readable', partitions: [{ partitionIndex: 0, ...offset }] },
      { name: 'unreadable', partitions: [{ partitionIndex: 2, ...offset }] },
    ],
  };
  const everyPartition = (errorCode: number) => ({
    topics: [
      { name: 'readable', results: [{ partitionIndex: 0, errorCode }] },
      { name: 'unreadable', results: [{ partitionIndex: 2, errorCode }] },
    ],
  });

  it('refuses every partition without AlterTransactionalId (53) or without AlterGroup (30)', () => {
    expect(answerOf(txnOffsetCommitPermission(request, withoutTransaction()))).toEqual(
      everyPartition(TRANSACTION_DENIED),
    );
    const withoutGroup = accessWithout('kafka-cluster:AlterGroup', (a) => a.groupArn('group-1'));
    expect(answerOf(txnOffsetCommitPermission(request, withoutGroup))).toEqual(
      everyPartition(ErrorCode.GROUP_AUTHORIZATION_FAILED),
    );
  });

  it('commits the topics it may read and refuses the others with TOPIC_AUTHORIZATION_FAILED', () => {
    const access = accessWithout('kafka-cluster:ReadData', (a) => a.topicArn('unreadable'));
    const admission = txnOffsetCommitPermission(request, access);
    if ('answer' in admission) throw new Error('expected the readable topic to be committed');
    expect(admission.request.topics.map((topic) => topic.name)).toEqual(['readable']);
    const served = { topics: [{ name: 'readable', results: [{ partitionIndex: 0, errorCode: 0 }] }] };
    expect(admission.finish?.(served)).toEqual({
      topics: [
        { name: 'readable', results: [{ partitionIndex: 0, errorCode: 0 }] },
        {
          name: 'unreadable',
          results: [{ partitionIndex: 2, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }],
        },
      ],
    });
  });
});

describe('IncrementalAlterConfigs', () => {
  const request = {
    incremental: true,
    validateOnly: false,
    resources: [
      {
        resourceType: 2,
        resourceName: 'orders',
        configs: [{ name: 'retention.ms', operation: 0, value: '1' }],
      },
      {
        resourceType: 4,
        resourceName: '0',
        configs: [{ name: 'log.retention.ms', operation: 0, value: '1' }],
      },
    ],
  };

  it('checks a topic against AlterTopicDynamicConfiguration and a broker against the cluster action', () => {
    const access = accessWith({
      Statement: [
        {
          Effect: 'Allow',
          Action: 'kafka-cluster:AlterTopicDynamicConfiguration',
          Resource: accessWith(ADMIN_POLICY).topicArn('orders'),
        },
      ],
    });
    const admission = alterConfigsPermission(request, access);
    if ('answer' in admission) throw new Error('expected the topic to be altered');
    expect(admission.request.resources.map((resource) => resource.resourceName)).toEqual(['orders']);
    const served = {
      responses: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' }],
    };
    expect(admission.finish?.(served).responses[1]).toEqual({
      errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      errorMessage: `kafka-cluster:AlterClusterDynamicConfiguration is not allowed on ${TEST_CLUSTER_ARN}`,
      resourceType: 4,
      resourceName: '0',
    });
  });

  it('answers TOPIC_AUTHORIZATION_FAILED, naming the action, for a topic without the topic action', () => {
    const access = accessWithout('kafka-cluster:AlterTopicDynamicConfiguration', (a) => a.topicArn('orders'));
    const answer = answerOf(
      alterConfigsPermission({ ...request, resources: request.resources.slice(0, 1) }, access),
    );
    expect(answer).toEqual({
      responses: [
        {
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: `kafka-cluster:AlterTopicDynamicConfiguration is not allowed on ${access.topicArn('orders')}`,
          resourceType: 2,
          resourceName: 'orders',
        },
      ],
    });
  });
});
