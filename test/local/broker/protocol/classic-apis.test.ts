/**
 * Non-flexible versions kafkajs does not speak (Produce v8, Metadata v7-8, OffsetCommit v6-7,
 * OffsetFetch v0 and v5, CreateTopics v4, DeleteTopics v2-3, DescribeGroups v3-4), checked field by
 * field against the grammar, and Produce v8 against @platformatic/kafka's codec.
 */
import { NumericMap, Reader as PlatformaticReader, ProduceAcks, produceV8 } from '@platformatic/kafka';
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
import { encodeMetadataResponse } from '../../../../local/broker/protocol/apis/metadata';
import { decodeOffsetCommitRequest } from '../../../../local/broker/protocol/apis/offset-commit';
import {
  decodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
} from '../../../../local/broker/protocol/apis/offset-fetch';
import { decodeProduceRequest, encodeProduceResponse } from '../../../../local/broker/protocol/apis/produce';
import { Reader } from '../../../../local/broker/protocol/reader';
import { decodeRecordBatch, validateRecordBatch } from '../../../../local/broker/protocol/record-batch';
import { Writer } from '../../../../local/broker/protocol/writer';

const written = (write: (w: Writer) => void): Reader => {
  const w = new Writer();
  write(w);
  return new Reader(w.finish());
};

describe('non-flexible versions beyond kafkajs', () => {
  it('Produce v8: @platformatic/kafka writes an idempotent batch the broker validates, and reads the response', () => {
    const request = produceV8.createRequest(
      ProduceAcks.ALL,
      1000,
      [{ topic: 't', partition: 1, key: Buffer.from('k'), value: Buffer.from('v') }],
      {
        producerId: 5n,
        producerEpoch: 0,
        sequences: new NumericMap(),
      },
    );
    const decoded = decodeProduceRequest(new Reader(request.buffer), 8);
    expect(decoded).toMatchObject({ acks: -1, timeoutMs: 1000 });
    const records = decoded.topics[0]?.partitions[0]?.records ?? Buffer.alloc(0);
    const validation = validateRecordBatch(records);
    expect(validation.ok && validation.header.producerId).toBe(5n);
    expect(decodeRecordBatch(records).map((r) => r.value?.toString())).toEqual(['v']);

    const w = new Writer();
    encodeProduceResponse(w, 8, {
      topics: [
        {
          name: 't',
          partitions: [
            {
              index: 1,
              errorCode: 0,
              baseOffset: 9n,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              errorMessage: null,
            },
          ],
        },
      ],
    });
    const parsed = produceV8.parseResponse(0, 0, 8, PlatformaticReader.from(w.finish()));
    expect(parsed.responses[0]?.partitionResponses[0]).toMatchObject({
      index: 1,
      errorCode: 0,
      baseOffset: 9n,
      logStartOffset: 0n,
    });
  });

  it('Metadata v7 adds leader_epoch; v8 adds authorized operations', () => {
    for (const version of [7, 8]) {
      const w = new Writer();
      encodeMetadataResponse(w, version, {
        brokers: [{ nodeId: 0, host: 'h', port: 1 }],
        clusterId: 'c',
        controllerId: 0,
        topics: [
          {
            errorCode: 0,
            name: 't',
            partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: 4, replicaNodes: [0] }],
          },
        ],
      });
      const r = new Reader(w.finish());
      expect(r.int32()).toBe(0);
      expect(r.array((b) => [b.int32(), b.string(), b.int32(), b.nullableString()])).toEqual([
        [0, 'h', 1, null],
      ]);
      expect([r.nullableString(), r.int32()]).toEqual(['c', 0]);
      const [topic] = r.array((t) => {
        const head = [t.int16(), t.string(), t.boolean()];
        const partitions = t.array((p) => [
          p.int16(),
          p.int32(),
          p.int32(),
          p.int32(),
          p.array((n) => n.int32()),
          p.array((n) => n.int32()),
          p.array((n) => n.int32()),
        ]);
        const operations = version >= 8 ? t.int32() : undefined;
        return { head, partitions, operations };
      });
      expect(topic?.head).toEqual([0, 't', false]);
      expect(topic?.partitions).toEqual([[0, 0, 0, 4, [0], [0], []]]);
      if (version >= 8) {
        expect(topic?.operations).toBe(-2147483648);
        expect(r.int32()).toBe(-2147483648);
      }
      expect(r.remaining).toBe(0);
    }
  });

  it('OffsetCommit v6 adds committed_leader_epoch and v7 group_instance_id', () => {
    for (const version of [6, 7]) {
      const request = decodeOffsetCommitRequest(
        written((w) => {
          w.string('g').int32(3).string('m');
          if (version >= 7) w.nullableString('instance');
          w.array(['t'], (tw, name) =>
            tw.string(name).array([0], (pw) => pw.int32(2).int64(15n).int32(1).nullableString('meta')),
          );
        }),
        version,
      );
      expect(request).toEqual({
        groupId: 'g',
        generationId: 3,
        memberId: 'm',
        groupInstanceId: version >= 7 ? 'instance' : null,
        topics: [
          {
            name: 't',
            partitions: [
              { partitionIndex: 2, committedOffset: 15n, committedLeaderEpoch: 1, committedMetadata: 'meta' },
            ],
          },
        ],
      });
    }
  });

  it('OffsetFetch v0 has no top-level error code; v5 adds committed_leader_epoch', () => {
    const group = {
      groupId: 'g',
      errorCode: 0,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 2, metadata: '', errorCode: 0 },
          ],
        },
      ],
    };
    const v0 = new Writer();
    encodeOffsetFetchResponse(v0, 0, { groups: [group] });
    const r0 = new Reader(v0.finish());
    expect(
      r0.array((t) => [t.string(), t.array((p) => [p.int32(), p.int64(), p.nullableString(), p.int16()])]),
    ).toEqual([['t', [[0, 5n, '', 0]]]]);
    expect(r0.remaining).toBe(0);
    const v5 = new Writer();
    encodeOffsetFetchResponse(v5, 5, { groups: [group] });
    const r5 = new Reader(v5.finish());
    expect(r5.int32()).toBe(0);
    expect(
      r5.array((t) => [
        t.string(),
        t.array((p) => [p.int32(), p.int64(), p.int32(), p.nullableString(), p.int16()]),
      ]),
    ).toEqual([['t', [[0, 5n, 2, '', 0]]]]);
    expect(r5.int16()).toBe(0);
    expect(
      decodeOffsetFetchRequest(
        written((w) => w.string('g').nullableArray(null, () => {})),
        5,
      ),
    ).toEqual({
      groups: [{ groupId: 'g', topics: null }],
    });
  });

  it('CreateTopics v4 and DeleteTopics v2-3', () => {
    const create = decodeCreateTopicsRequest(
      written((w) => {
        w.array(['t'], (tw, name) => {
          tw.string(name).int32(-1).int16(-1);
          tw.array([0, 1], (aw, index) => aw.int32(index).array([0], (bw, id) => bw.int32(id)));
          tw.array([], () => {});
        });
        w.int32(1000).boolean(true);
      }),
      4,
    );
    expect(create.topics[0]).toMatchObject({
      numPartitions: -1,
      replicationFactor: -1,
      assignments: [
        { partitionIndex: 0, brokerIds: [0] },
        { partitionIndex: 1, brokerIds: [0] },
      ],
    });
    expect(create.validateOnly).toBe(true);
    const created = new Writer();
    encodeCreateTopicsResponse(created, 4, { topics: [{ name: 't', errorCode: 0, errorMessage: null }] });
    const rc = new Reader(created.finish());
    expect([rc.int32(), rc.array((t) => [t.string(), t.int16(), t.nullableString()])]).toEqual([
      0,
      [['t', 0, null]],
    ]);

    for (const version of [2, 3]) {
      expect(
        decodeDeleteTopicsRequest(
          written((w) => w.array(['a'], (tw, n) => tw.string(n)).int32(500)),
          version,
        ),
      ).toEqual({ topicNames: ['a'], timeoutMs: 500 });
      const deleted = new Writer();
      encodeDeleteTopicsResponse(deleted, version, { responses: [{ name: 'a', errorCode: 3 }] });
      const rd = new Reader(deleted.finish());
      expect([rd.int32(), rd.array((t) => [t.string(), t.int16()])]).toEqual([0, [['a', 3]]]);
    }
  });

  it('DescribeGroups v3 adds authorized operations and v4 group_instance_id', () => {
    for (const version of [3, 4]) {
      expect(
        decodeDescribeGroupsRequest(
          written((w) => w.array(['g'], (gw, g) => gw.string(g)).boolean(false)),
          version,
        ),
      ).toEqual({ groups: ['g'] });
      const w = new Writer();
      encodeDescribeGroupsResponse(w, version, {
        groups: [
          {
            errorCode: 0,
            groupId: 'g',
            groupState: 'Stable',
            protocolType: 'consumer',
            protocolData: 'range',
            members: [
              {
                memberId: 'm',
                groupInstanceId: 'i',
                clientId: 'c',
                clientHost: 'h',
                memberMetadata: Buffer.from('x'),
                memberAssignment: Buffer.from('y'),
              },
            ],
          },
        ],
      });
      const r = new Reader(w.finish());
      expect(r.int32()).toBe(0);
      const [group] = r.array((g) => {
        const head = [g.int16(), g.string(), g.string(), g.string(), g.string()];
        const members = g.array((m) => [
          m.string(),
          ...(version >= 4 ? [m.nullableString()] : []),
          m.string(),
          m.string(),
          m.bytes().toString(),
          m.bytes().toString(),
        ]);
        return { head, members, operations: g.int32() };
      });
      expect(group?.head).toEqual([0, 'g', 'Stable', 'consumer', 'range']);
      expect(group?.members).toEqual([
        version >= 4 ? ['m', 'i', 'c', 'h', 'x', 'y'] : ['m', 'c', 'h', 'x', 'y'],
      ]);
      expect(group?.operations).toBe(-2147483648);
      expect(r.remaining).toBe(0);
    }
  });
});
