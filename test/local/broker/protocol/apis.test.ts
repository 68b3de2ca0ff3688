/**
 * Each API codec against kafkajs's protocol implementation, for every version both sides have:
 * kafkajs encodes a request that the broker decodes; the broker encodes a response that kafkajs decodes.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
} from '../../../../local/broker/protocol/apis/create-topics';
import {
  decodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
} from '../../../../local/broker/protocol/apis/delete-topics';
import {
  decodeDescribeGroupsRequest,
  encodeDescribeGroupsResponse,
} from '../../../../local/broker/protocol/apis/describe-groups';
import { decodeFetchRequest, encodeFetchResponse } from '../../../../local/broker/protocol/apis/fetch';
import {
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
} from '../../../../local/broker/protocol/apis/find-coordinator';
import {
  decodeHeartbeatRequest,
  encodeHeartbeatResponse,
} from '../../../../local/broker/protocol/apis/heartbeat';
import {
  decodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
} from '../../../../local/broker/protocol/apis/init-producer-id';
import {
  decodeJoinGroupRequest,
  encodeJoinGroupResponse,
} from '../../../../local/broker/protocol/apis/join-group';
import {
  decodeLeaveGroupRequest,
  encodeLeaveGroupResponse,
} from '../../../../local/broker/protocol/apis/leave-group';
import { encodeListGroupsResponse } from '../../../../local/broker/protocol/apis/list-groups';
import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
} from '../../../../local/broker/protocol/apis/list-offsets';
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
} from '../../../../local/broker/protocol/apis/metadata';
import {
  decodeOffsetCommitRequest,
  encodeOffsetCommitResponse,
} from '../../../../local/broker/protocol/apis/offset-commit';
import {
  decodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
} from '../../../../local/broker/protocol/apis/offset-fetch';
import { decodeProduceRequest, encodeProduceResponse } from '../../../../local/broker/protocol/apis/produce';
import {
  decodeSyncGroupRequest,
  encodeSyncGroupResponse,
} from '../../../../local/broker/protocol/apis/sync-group';
import { Reader } from '../../../../local/broker/protocol/reader';
import { decodeRecordBatch, encodeRecordBatch } from '../../../../local/broker/protocol/record-batch';
import { Writer } from '../../../../local/broker/protocol/writer';
import { kafkajsApi, longString, requestBody, responseBody, sharedVersions } from './kafkajs-codec';

describe('Produce codec', () => {
  for (const version of sharedVersions('produce', 0)) {
    it(`v${version}: reads kafkajs's request, kafkajs reads the response`, async () => {
      const body = await requestBody('produce', version, {
        acks: -1,
        timeout: 3000,
        topicData: [
          { topic: 'payments', partitions: [{ partition: 2, messages: [{ key: 'k', value: 'v' }] }] },
        ],
      });
      const request = decodeProduceRequest(body, version);
      expect(request).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 3000 });
      const records = request.topics[0]?.partitions[0]?.records ?? Buffer.alloc(0);
      expect(request.topics[0]?.partitions[0]?.index).toBe(2);
      expect(decodeRecordBatch(records).map((r) => r.value?.toString())).toEqual(['v']);

      const decoded = await kafkajsApi('produce', version).response.decode(
        responseBody((w) =>
          encodeProduceResponse(w, version, {
            topics: [
              {
                name: 'payments',
                partitions: [
                  {
                    index: 2,
                    errorCode: 0,
                    baseOffset: 41n,
                    logAppendTimeMs: -1n,
                    logStartOffset: 0n,
                    errorMessage: null,
                  },
                ],
              },
            ],
          }),
        ),
      );
      const partition = (decoded.topics as { partitions: Record<string, unknown>[] }[])[0]?.partitions[0];
      expect(partition).toMatchObject({ partition: 2, errorCode: 0 });
      expect(longString(partition?.baseOffset)).toBe('41');
    });
  }
});

describe('Fetch codec', () => {
  for (const version of sharedVersions('fetch', 1)) {
    it(`v${version}: reads kafkajs's request, kafkajs reads the records in the response`, async () => {
      const body = await requestBody('fetch', version, {
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 10_000,
        topics: [{ topic: 'payments', partitions: [{ partition: 1, fetchOffset: '7', maxBytes: 2048 }] }],
      });
      const request = decodeFetchRequest(body, version);
      expect(request).toMatchObject({ maxWaitMs: 500, minBytes: 1, maxBytes: 10_000 });
      expect(request.topics).toEqual([
        { topic: 'payments', partitions: [{ partition: 1, fetchOffset: 7n, partitionMaxBytes: 2048 }] },
      ]);
      expect(body.remaining).toBe(0);

      const batches = [
        encodeRecordBatch({ baseOffset: 7n, records: [{ key: null, value: Buffer.from('a') }] }),
        encodeRecordBatch({ baseOffset: 8n, records: [{ key: null, value: Buffer.from('b'.repeat(600)) }] }),
      ];
      const decoded = await kafkajsApi('fetch', version).response.decode(
        responseBody((w) =>
          encodeFetchResponse(w, version, {
            errorCode: 0,
            sessionId: 0,
            topics: [
              {
                topic: 'payments',
                partitions: [
                  {
                    partition: 1,
                    errorCode: 0,
                    highWatermark: 9n,
                    lastStableOffset: 9n,
                    logStartOffset: 0n,
                    batches,
                    abortedTransactions: [{ producerId: 4n, firstOffset: 2n }],
                  },
                ],
              },
            ],
          }),
        ),
      );
      const partition = (decoded.responses as { partitions: Record<string, unknown>[] }[])[0]?.partitions[0];
      expect(partition).toMatchObject({
        partition: 1,
        errorCode: 0,
        highWatermark: '9',
        lastStableOffset: '9',
        abortedTransactions: [{ producerId: '4', firstOffset: '2' }],
      });
      const messages = partition?.messages as { offset: string; value: Buffer }[];
      expect(messages.map((m) => [m.offset, m.value.toString().slice(0, 1)])).toEqual([
        ['7', 'a'],
        ['8', 'b'],
      ]);
    });
  }
});

describe('ListOffsets codec', () => {
  for (const version of sharedVersions('listOffsets', 2)) {
    it(`v${version}`, async () => {
      const body = await requestBody('listOffsets', version, {
        replicaId: -1,
        topics: [{ topic: 't', partitions: [{ partition: 0, timestamp: -2 }] }],
      });
      const request = decodeListOffsetsRequest(body, version);
      expect(request.topics[0]?.partitions[0]).toMatchObject({ partitionIndex: 0, timestamp: -2n });
      expect(body.remaining).toBe(0);
      const decoded = await kafkajsApi('listOffsets', version).response.decode(
        responseBody((w) =>
          encodeListOffsetsResponse(w, version, {
            topics: [
              { name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1n, offset: 12n }] },
            ],
          }),
        ),
      );
      const partition = (decoded.responses as { partitions: Record<string, unknown>[] }[])[0]?.partitions[0];
      const offset = version === 0 ? (partition?.offsets as string[] | undefined)?.[0] : partition?.offset;
      expect(longString(offset)).toBe('12');
    });
  }
});

describe('Metadata codec', () => {
  for (const version of sharedVersions('metadata', 3)) {
    it(`v${version}`, async () => {
      const body = await requestBody('metadata', version, {
        topics: ['a', 'b'],
        allowAutoTopicCreation: false,
      });
      expect(decodeMetadataRequest(body, version)).toEqual({
        topics: ['a', 'b'],
        allowAutoTopicCreation: !(version >= 4),
      });
      const decoded = await kafkajsApi('metadata', version).response.decode(
        responseBody((w) =>
          encodeMetadataResponse(w, version, {
            brokers: [{ nodeId: 0, host: '127.0.0.1', port: 9092 }],
            clusterId: 'local',
            controllerId: 0,
            topics: [
              {
                errorCode: 0,
                name: 'a',
                partitions: [
                  { errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: 0, replicaNodes: [0] },
                ],
              },
            ],
          }),
        ),
      );
      expect(decoded.brokers).toEqual([
        expect.objectContaining({ nodeId: 0, host: '127.0.0.1', port: 9092 }),
      ]);
      if (version >= 1) expect(decoded.controllerId).toBe(0);
      expect(decoded.topicMetadata).toEqual([
        expect.objectContaining({
          topic: 'a',
          partitionMetadata: [
            expect.objectContaining({ partitionId: 0, leader: 0, replicas: [0], isr: [0] }),
          ],
        }),
      ]);
    });
  }

  it('v0 reads an empty topic list as "every topic", v1+ as "none"', () => {
    const empty = new Writer().int32(0).finish();
    expect(decodeMetadataRequest(new Reader(empty), 0).topics).toBeNull();
    expect(decodeMetadataRequest(new Reader(empty), 1).topics).toEqual([]);
  });
});

describe('group and offset codecs', () => {
  for (const version of sharedVersions('joinGroup', 11)) {
    it(`JoinGroup v${version}`, async () => {
      const body = await requestBody('joinGroup', version, {
        groupId: 'g',
        sessionTimeout: 30_000,
        rebalanceTimeout: 60_000,
        memberId: 'm-1',
        protocolType: 'consumer',
        groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from('meta') }],
      });
      const request = decodeJoinGroupRequest(body, version);
      expect(request).toMatchObject({
        groupId: 'g',
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: version >= 1 ? 60_000 : 30_000,
        memberId: 'm-1',
        protocolType: 'consumer',
      });
      expect(request.protocols).toEqual([{ name: 'RoundRobinAssigner', metadata: Buffer.from('meta') }]);
      const decoded = await kafkajsApi('joinGroup', version).response.decode(
        responseBody((w) =>
          encodeJoinGroupResponse(w, version, {
            errorCode: 0,
            generationId: 3,
            protocolName: 'RoundRobinAssigner',
            leader: 'm-1',
            memberId: 'm-1',
            members: [{ memberId: 'm-1', groupInstanceId: null, metadata: Buffer.from('meta') }],
          }),
        ),
      );
      expect(decoded).toMatchObject({
        errorCode: 0,
        generationId: 3,
        groupProtocol: 'RoundRobinAssigner',
        leaderId: 'm-1',
      });
      expect((decoded.members as { memberId: string }[])[0]?.memberId).toBe('m-1');
    });
  }

  for (const version of sharedVersions('syncGroup', 14)) {
    it(`SyncGroup v${version}`, async () => {
      const body = await requestBody('syncGroup', version, {
        groupId: 'g',
        generationId: 3,
        memberId: 'm-1',
        groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from('assigned') }],
      });
      expect(decodeSyncGroupRequest(body, version)).toEqual({
        groupId: 'g',
        generationId: 3,
        memberId: 'm-1',
        groupInstanceId: null,
        assignments: [{ memberId: 'm-1', assignment: Buffer.from('assigned') }],
      });
      const decoded = await kafkajsApi('syncGroup', version).response.decode(
        responseBody((w) =>
          encodeSyncGroupResponse(w, version, { errorCode: 0, assignment: Buffer.from('assigned') }),
        ),
      );
      expect(decoded).toMatchObject({ errorCode: 0, memberAssignment: Buffer.from('assigned') });
    });
  }

  for (const version of sharedVersions('heartbeat', 12)) {
    it(`Heartbeat v${version}`, async () => {
      const body = await requestBody('heartbeat', version, {
        groupId: 'g',
        groupGenerationId: 3,
        memberId: 'm-1',
      });
      expect(decodeHeartbeatRequest(body, version)).toEqual({
        groupId: 'g',
        generationId: 3,
        memberId: 'm-1',
        groupInstanceId: null,
      });
      const decoded = await kafkajsApi('heartbeat', version).response.decode(
        responseBody((w) => encodeHeartbeatResponse(w, version, { errorCode: 27 })),
      );
      expect(decoded.errorCode).toBe(27);
    });
  }

  for (const version of sharedVersions('leaveGroup', 13)) {
    it(`LeaveGroup v${version}`, async () => {
      const body = await requestBody('leaveGroup', version, { groupId: 'g', memberId: 'm-1' });
      expect(decodeLeaveGroupRequest(body, version)).toEqual({
        groupId: 'g',
        members: [{ memberId: 'm-1', groupInstanceId: null }],
      });
      const decoded = await kafkajsApi('leaveGroup', version).response.decode(
        responseBody((w) =>
          encodeLeaveGroupResponse(w, version, {
            errorCode: 0,
            members: [{ memberId: 'm-1', groupInstanceId: null, errorCode: 0 }],
          }),
        ),
      );
      expect(decoded.errorCode).toBe(0);
    });
  }

  for (const version of sharedVersions('describeGroups', 15)) {
    it(`DescribeGroups v${version}`, async () => {
      const body = await requestBody('describeGroups', version, { groupIds: ['g', 'h'] });
      expect(decodeDescribeGroupsRequest(body, version)).toEqual({ groups: ['g', 'h'] });
      const decoded = await kafkajsApi('describeGroups', version).response.decode(
        responseBody((w) =>
          encodeDescribeGroupsResponse(w, version, {
            groups: [
              {
                errorCode: 0,
                groupId: 'g',
                groupState: 'Stable',
                protocolType: 'consumer',
                protocolData: 'RoundRobinAssigner',
                members: [
                  {
                    memberId: 'm-1',
                    groupInstanceId: null,
                    clientId: 'c',
                    clientHost: '/127.0.0.1',
                    memberMetadata: Buffer.from('meta'),
                    memberAssignment: Buffer.from('assign'),
                  },
                ],
              },
            ],
          }),
        ),
      );
      expect(decoded.groups).toEqual([
        expect.objectContaining({ groupId: 'g', state: 'Stable', protocol: 'RoundRobinAssigner' }),
      ]);
    });
  }

  for (const version of sharedVersions('listGroups', 16)) {
    it(`ListGroups v${version}`, async () => {
      const decoded = await kafkajsApi('listGroups', version).response.decode(
        responseBody((w) =>
          encodeListGroupsResponse(w, version, {
            errorCode: 0,
            groups: [{ groupId: 'g', protocolType: 'consumer' }],
          }),
        ),
      );
      expect(decoded.groups).toEqual([{ groupId: 'g', protocolType: 'consumer' }]);
    });
  }

  for (const version of sharedVersions('findCoordinator', 10)) {
    it(`FindCoordinator v${version}`, async () => {
      const body = await requestBody('findCoordinator', version, { groupId: 'g', coordinatorType: 0 });
      expect(decodeFindCoordinatorRequest(body, version)).toEqual({ keys: ['g'], keyType: 0 });
      const decoded = await kafkajsApi('findCoordinator', version).response.decode(
        responseBody((w) =>
          encodeFindCoordinatorResponse(w, version, {
            coordinators: [{ key: 'g', errorCode: 0, errorMessage: null, nodeId: 0, host: 'h', port: 1 }],
          }),
        ),
      );
      expect(decoded.coordinator).toEqual({ nodeId: 0, host: 'h', port: 1 });
    });
  }

  for (const version of sharedVersions('offsetCommit', 8)) {
    it(`OffsetCommit v${version}`, async () => {
      const body = await requestBody('offsetCommit', version, {
        groupId: 'g',
        groupGenerationId: 3,
        memberId: 'm-1',
        retentionTime: -1,
        topics: [{ topic: 't', partitions: [{ partition: 1, offset: '15' }] }],
      });
      const request = decodeOffsetCommitRequest(body, version);
      expect(request).toMatchObject({ groupId: 'g', generationId: version >= 1 ? 3 : -1 });
      expect(request.topics[0]?.partitions[0]).toMatchObject({ partitionIndex: 1, committedOffset: 15n });
      expect(body.remaining).toBe(0);
      const decoded = await kafkajsApi('offsetCommit', version).response.decode(
        responseBody((w) =>
          encodeOffsetCommitResponse(w, version, {
            topics: [{ name: 't', partitions: [{ partitionIndex: 1, errorCode: 0 }] }],
          }),
        ),
      );
      expect(decoded.responses).toEqual([{ topic: 't', partitions: [{ partition: 1, errorCode: 0 }] }]);
    });
  }

  for (const version of sharedVersions('offsetFetch', 9)) {
    it(`OffsetFetch v${version}`, async () => {
      const body = await requestBody('offsetFetch', version, {
        groupId: 'g',
        topics: [{ topic: 't', partitions: [{ partition: 1 }] }],
      });
      expect(decodeOffsetFetchRequest(body, version)).toEqual({
        groups: [{ groupId: 'g', topics: [{ name: 't', partitionIndexes: [1] }] }],
      });
      const decoded = await kafkajsApi('offsetFetch', version).response.decode(
        responseBody((w) =>
          encodeOffsetFetchResponse(w, version, {
            groups: [
              {
                groupId: 'g',
                errorCode: 0,
                topics: [
                  {
                    name: 't',
                    partitions: [
                      {
                        partitionIndex: 1,
                        committedOffset: 15n,
                        committedLeaderEpoch: -1,
                        metadata: '',
                        errorCode: 0,
                      },
                    ],
                  },
                ],
              },
            ],
          }),
        ),
      );
      const partition = (decoded.responses as { partitions: Record<string, unknown>[] }[])[0]?.partitions[0];
      expect(partition).toMatchObject({ partition: 1, offset: '15', errorCode: 0 });
    });
  }
});

describe('topic and producer codecs', () => {
  for (const version of sharedVersions('createTopics', 19)) {
    it(`CreateTopics v${version}`, async () => {
      const body = await requestBody('createTopics', version, {
        topics: [
          {
            topic: 't',
            numPartitions: 3,
            replicationFactor: 1,
            configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
          },
        ],
        validateOnly: true,
        timeout: 1000,
      });
      const request = decodeCreateTopicsRequest(body, version);
      expect(request.topics).toEqual([
        {
          name: 't',
          numPartitions: 3,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'cleanup.policy', value: 'delete' }],
        },
      ]);
      expect(request).toMatchObject({ timeoutMs: 1000, validateOnly: version >= 1 });
      const decoded = await kafkajsApi('createTopics', version).response.decode(
        responseBody((w) =>
          encodeCreateTopicsResponse(w, version, {
            topics: [{ name: 't', errorCode: 36, errorMessage: 'exists' }],
          }),
        ),
      );
      expect(decoded.topicErrors).toEqual([expect.objectContaining({ topic: 't', errorCode: 36 })]);
    });
  }

  for (const version of sharedVersions('deleteTopics', 20)) {
    it(`DeleteTopics v${version}`, async () => {
      const body = await requestBody('deleteTopics', version, { topics: ['a', 'b'], timeout: 1000 });
      expect(decodeDeleteTopicsRequest(body, version)).toEqual({ topicNames: ['a', 'b'], timeoutMs: 1000 });
      const decoded = await kafkajsApi('deleteTopics', version).response.decode(
        responseBody((w) =>
          encodeDeleteTopicsResponse(w, version, { responses: [{ name: 'a', errorCode: 0 }] }),
        ),
      );
      expect(decoded.topicErrors).toEqual([{ topic: 'a', errorCode: 0 }]);
    });
  }

  for (const version of sharedVersions('initProducerId', 22)) {
    it(`InitProducerId v${version}`, async () => {
      const body = await requestBody('initProducerId', version, {
        transactionalId: null,
        transactionTimeout: 1000,
      });
      expect(decodeInitProducerIdRequest(body, version)).toEqual({
        transactionalId: null,
        transactionTimeoutMs: 1000,
      });
      const decoded = await kafkajsApi('initProducerId', version).response.decode(
        responseBody((w) =>
          encodeInitProducerIdResponse(w, version, { errorCode: 0, producerId: 4001n, producerEpoch: 0 }),
        ),
      );
      expect(longString(decoded.producerId)).toBe('4001');
      expect(decoded.producerEpoch).toBe(0);
    });
  }
});
