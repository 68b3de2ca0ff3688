/**
 * The flexible (KIP-482) versions served with `flexibleVersions`, against @platformatic/kafka's own
 * codecs: it writes the requests the broker decodes and reads the responses the broker encodes.
 */
import {
  apiVersionsV3,
  fetchV12,
  findCoordinatorV4,
  heartbeatV4,
  initProducerIdV3,
  joinGroupV6,
  leaveGroupV4,
  listOffsetsV5,
  metadataV9,
  offsetCommitV8,
  offsetFetchV8,
  Reader as PlatformaticReader,
  syncGroupV4,
} from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { EXTENDED_APIS } from '../../../../local/broker/protocol/api-keys';
import { encodeApiVersionsResponse } from '../../../../local/broker/protocol/apis/api-versions';
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
import {
  decodeSyncGroupRequest,
  encodeSyncGroupResponse,
} from '../../../../local/broker/protocol/apis/sync-group';
import { Reader } from '../../../../local/broker/protocol/reader';
import { encodeRecordBatch } from '../../../../local/broker/protocol/record-batch';
import { Writer } from '../../../../local/broker/protocol/writer';

/** A request body as the client wrote it, read by the broker in the given encoding. */
function body(request: { buffer: Buffer }, flexible = true): Reader {
  return new Reader(request.buffer, 0, flexible);
}

function response(encode: (writer: Writer) => void, flexible = true): PlatformaticReader {
  const writer = new Writer(flexible);
  encode(writer);
  return PlatformaticReader.from(writer.finish());
}

describe('flexible API versions against @platformatic/kafka codecs', () => {
  it('ApiVersions v3 response', () => {
    const parsed = apiVersionsV3.parseResponse(
      0,
      18,
      3,
      response((w) => encodeApiVersionsResponse(w, 3, { errorCode: 0, apiKeys: EXTENDED_APIS })),
    );
    expect(parsed.apiKeys.map((api) => [api.apiKey, api.minVersion, api.maxVersion])).toEqual(
      EXTENDED_APIS.map((api) => [api.apiKey, api.minVersion, api.maxVersion]),
    );
  });

  it('Metadata v9', () => {
    const request = decodeMetadataRequest(body(metadataV9.createRequest(['a', 'b'], true, false)), 9);
    expect(request).toEqual({ topics: ['a', 'b'], allowAutoTopicCreation: true });
    const parsed = metadataV9.parseResponse(
      0,
      3,
      9,
      response((w) =>
        encodeMetadataResponse(w, 9, {
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
    expect(parsed.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: 9092, rack: null }]);
    expect(parsed.controllerId).toBe(0);
    expect(parsed.topics[0]).toMatchObject({
      name: 'a',
      partitions: [{ partitionIndex: 0, leaderId: 0, replicaNodes: [0] }],
    });
  });

  it('Fetch v12', () => {
    const request = decodeFetchRequest(
      body(
        fetchV12.createRequest(
          500,
          1,
          1_000_000,
          0,
          0,
          -1,
          [
            {
              topicId: 'payments',
              partitions: [
                {
                  partition: 3,
                  currentLeaderEpoch: 0,
                  fetchOffset: 42n,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: 4096,
                },
              ],
            },
          ],
          [],
          '',
        ),
      ),
      12,
    );
    expect(request).toMatchObject({ maxWaitMs: 500, minBytes: 1, maxBytes: 1_000_000 });
    expect(request.topics).toEqual([
      { topic: 'payments', partitions: [{ partition: 3, fetchOffset: 42n, partitionMaxBytes: 4096 }] },
    ]);
    const batches = [
      encodeRecordBatch({ baseOffset: 42n, records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] }),
    ];
    const parsed = fetchV12.parseResponse(
      0,
      1,
      12,
      response((w) =>
        encodeFetchResponse(w, 12, {
          errorCode: 0,
          sessionId: 0,
          topics: [
            {
              topic: 'payments',
              partitions: [
                {
                  partition: 3,
                  errorCode: 0,
                  highWatermark: 43n,
                  lastStableOffset: 43n,
                  logStartOffset: 0n,
                  batches,
                  abortedTransactions: [],
                },
              ],
            },
          ],
        }),
      ),
    );
    const partition = parsed.responses[0]?.partitions[0];
    expect(partition).toMatchObject({ partitionIndex: 3, highWatermark: 43n });
    expect(partition?.records?.[0]?.records[0]?.value?.toString()).toBe('v');
  });

  it('ListOffsets v5', () => {
    const request = decodeListOffsetsRequest(
      body(
        listOffsetsV5.createRequest(-1, 0, [
          { name: 't', partitions: [{ partitionIndex: 1, currentLeaderEpoch: 0, timestamp: -2n }] },
        ]),
        false,
      ),
      5,
    );
    expect(request.topics).toEqual([
      { name: 't', partitions: [{ partitionIndex: 1, timestamp: -2n, maxNumOffsets: 1 }] },
    ]);
    const parsed = listOffsetsV5.parseResponse(
      0,
      2,
      5,
      response(
        (w) =>
          encodeListOffsetsResponse(w, 5, {
            topics: [
              { name: 't', partitions: [{ partitionIndex: 1, errorCode: 0, timestamp: -1n, offset: 7n }] },
            ],
          }),
        false,
      ),
    );
    expect(parsed.topics[0]?.partitions[0]).toMatchObject({ partitionIndex: 1, offset: 7n, leaderEpoch: 0 });
  });

  it('FindCoordinator v4, several keys at once', () => {
    const request = decodeFindCoordinatorRequest(body(findCoordinatorV4.createRequest(0, ['g1', 'g2'])), 4);
    expect(request).toEqual({ keyType: 0, keys: ['g1', 'g2'] });
    const parsed = findCoordinatorV4.parseResponse(
      0,
      10,
      4,
      response((w) =>
        encodeFindCoordinatorResponse(w, 4, {
          coordinators: request.keys.map((key) => ({
            key,
            errorCode: 0,
            errorMessage: null,
            nodeId: 0,
            host: 'h',
            port: 9,
          })),
        }),
      ),
    );
    expect(parsed.coordinators.map((c) => [c.key, c.nodeId, c.host, c.port])).toEqual([
      ['g1', 0, 'h', 9],
      ['g2', 0, 'h', 9],
    ]);
  });

  it('JoinGroup v6, SyncGroup v4, Heartbeat v4, LeaveGroup v4', () => {
    const join = decodeJoinGroupRequest(
      body(
        joinGroupV6.createRequest('g', 10_000, 20_000, 'm', null, 'consumer', [
          { name: 'roundrobin', metadata: Buffer.from('meta') },
        ]),
      ),
      6,
    );
    expect(join).toEqual({
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 20_000,
      memberId: 'm',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'roundrobin', metadata: Buffer.from('meta') }],
    });
    const joined = joinGroupV6.parseResponse(
      0,
      11,
      6,
      response((w) =>
        encodeJoinGroupResponse(w, 6, {
          errorCode: 0,
          generationId: 2,
          protocolName: 'roundrobin',
          leader: 'm',
          memberId: 'm',
          members: [{ memberId: 'm', groupInstanceId: null, metadata: Buffer.from('meta') }],
        }),
      ),
    );
    expect(joined).toMatchObject({ generationId: 2, protocolName: 'roundrobin', leader: 'm', memberId: 'm' });
    expect(joined.members[0]?.metadata).toEqual(Buffer.from('meta'));

    const sync = decodeSyncGroupRequest(
      body(
        syncGroupV4.createRequest('g', 2, 'm', null, null, null, [
          { memberId: 'm', assignment: Buffer.from('a') },
        ]),
      ),
      4,
    );
    expect(sync.assignments).toEqual([{ memberId: 'm', assignment: Buffer.from('a') }]);
    const synced = syncGroupV4.parseResponse(
      0,
      14,
      4,
      response((w) => encodeSyncGroupResponse(w, 4, { errorCode: 0, assignment: Buffer.from('a') })),
    );
    expect(synced.assignment).toEqual(Buffer.from('a'));

    expect(decodeHeartbeatRequest(body(heartbeatV4.createRequest('g', 2, 'm', null)), 4)).toEqual({
      groupId: 'g',
      generationId: 2,
      memberId: 'm',
      groupInstanceId: null,
    });
    expect(
      heartbeatV4.parseResponse(
        0,
        12,
        4,
        response((w) => encodeHeartbeatResponse(w, 4, { errorCode: 0 })),
      ).errorCode,
    ).toBe(0);

    const leave = decodeLeaveGroupRequest(body(leaveGroupV4.createRequest('g', [{ memberId: 'm' }])), 4);
    expect(leave).toEqual({ groupId: 'g', members: [{ memberId: 'm', groupInstanceId: null }] });
    const left = leaveGroupV4.parseResponse(
      0,
      13,
      4,
      response((w) =>
        encodeLeaveGroupResponse(w, 4, {
          errorCode: 0,
          members: [{ memberId: 'm', groupInstanceId: null, errorCode: 0 }],
        }),
      ),
    );
    expect(left.members).toEqual([expect.objectContaining({ memberId: 'm', errorCode: 0 })]);
  });

  it('OffsetCommit v8 and OffsetFetch v8 (several groups)', () => {
    const commit = decodeOffsetCommitRequest(
      body(
        offsetCommitV8.createRequest('g', 2, 'm', null, [
          {
            name: 't',
            partitions: [
              { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 0, committedMetadata: null },
            ],
          },
        ]),
      ),
      8,
    );
    expect(commit).toMatchObject({ groupId: 'g', generationId: 2, memberId: 'm' });
    expect(commit.topics[0]?.partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: 5n });
    const committed = offsetCommitV8.parseResponse(
      0,
      8,
      8,
      response((w) =>
        encodeOffsetCommitResponse(w, 8, {
          topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }],
        }),
      ),
    );
    expect(committed.topics[0]?.partitions[0]).toMatchObject({ partitionIndex: 0, errorCode: 0 });

    const fetch = decodeOffsetFetchRequest(
      body(
        offsetFetchV8.createRequest(
          [
            {
              groupId: 'g',
              memberId: null,
              memberEpoch: -1,
              topics: [{ name: 't', partitionIndexes: [0, 1] }],
            },
            { groupId: 'h', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0] }] },
          ],
          false,
        ),
      ),
      8,
    );
    expect(fetch.groups.map((g) => g.groupId)).toEqual(['g', 'h']);
    expect(fetch.groups[0]?.topics).toEqual([{ name: 't', partitionIndexes: [0, 1] }]);
    const fetched = offsetFetchV8.parseResponse(
      0,
      9,
      8,
      response((w) =>
        encodeOffsetFetchResponse(w, 8, {
          groups: fetch.groups.map((g) => ({
            groupId: g.groupId,
            errorCode: 0,
            topics: [
              {
                name: 't',
                partitions: [
                  {
                    partitionIndex: 0,
                    committedOffset: 5n,
                    committedLeaderEpoch: -1,
                    metadata: null,
                    errorCode: 0,
                  },
                ],
              },
            ],
          })),
        }),
      ),
    );
    expect(fetched.groups.map((g) => [g.groupId, g.topics[0]?.partitions[0]?.committedOffset])).toEqual([
      ['g', 5n],
      ['h', 5n],
    ]);
  });

  it('InitProducerId v3', () => {
    expect(
      decodeInitProducerIdRequest(body(initProducerIdV3.createRequest(null, 60_000, -1n, -1)), 3),
    ).toEqual({
      transactionalId: null,
      transactionTimeoutMs: 60_000,
    });
    const parsed = initProducerIdV3.parseResponse(
      0,
      22,
      3,
      response((w) =>
        encodeInitProducerIdResponse(w, 3, { errorCode: 0, producerId: 1001n, producerEpoch: 0 }),
      ),
    );
    expect(parsed).toMatchObject({ producerId: 1001n, producerEpoch: 0 });
  });
});
