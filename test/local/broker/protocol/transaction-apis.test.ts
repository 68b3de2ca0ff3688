/**
 * The transaction API codecs (KIP-98) against kafkajs's protocol implementation, for every version both
 * sides speak: kafkajs encodes a request that the broker decodes; the broker encodes a response that
 * kafkajs decodes.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../../../local/broker/protocol/api-keys';
import {
  decodeAddOffsetsToTxnRequest,
  encodeTransactionErrorResponse,
} from '../../../../local/broker/protocol/apis/add-offsets-to-txn';
import {
  decodeAddPartitionsToTxnRequest,
  encodeAddPartitionsToTxnResponse,
} from '../../../../local/broker/protocol/apis/add-partitions-to-txn';
import { decodeEndTxnRequest } from '../../../../local/broker/protocol/apis/end-txn';
import {
  decodeTxnOffsetCommitRequest,
  encodeTxnOffsetCommitResponse,
} from '../../../../local/broker/protocol/apis/txn-offset-commit';
import {
  encodeTransactionMarker,
  transactionResultOf,
} from '../../../../local/broker/protocol/control-record';
import { decodeRecordBatch, validateRecordBatch } from '../../../../local/broker/protocol/record-batch';
import { kafkajsApi, requestBody, responseBody, sharedVersions } from './kafkajs-codec';

const producer = { transactionalId: 'tx-1', producerId: '42', producerEpoch: 3 };
const decodedProducer = { transactionalId: 'tx-1', producerId: 42n, producerEpoch: 3 };

describe('AddPartitionsToTxn codec', () => {
  for (const version of sharedVersions('addPartitionsToTxn', ApiKey.AddPartitionsToTxn)) {
    it(`v${version}`, async () => {
      const body = await requestBody('addPartitionsToTxn', version, {
        ...producer,
        topics: [{ topic: 'payments', partitions: [0, 2] }],
      });
      expect(decodeAddPartitionsToTxnRequest(body, version)).toEqual({
        ...decodedProducer,
        topics: [{ name: 'payments', partitions: [0, 2] }],
      });
      expect(body.remaining).toBe(0);
      const decoded = await kafkajsApi('addPartitionsToTxn', version).response.decode(
        responseBody((w) =>
          encodeAddPartitionsToTxnResponse(w, version, {
            results: [{ name: 'payments', results: [{ partitionIndex: 2, errorCode: 55 }] }],
          }),
        ),
      );
      expect(decoded.errors).toEqual([
        { topic: 'payments', partitionErrors: [{ partition: 2, errorCode: 55 }] },
      ]);
    });
  }
});

describe('AddOffsetsToTxn and EndTxn codecs', () => {
  for (const version of sharedVersions('addOffsetsToTxn', ApiKey.AddOffsetsToTxn)) {
    it(`AddOffsetsToTxn v${version}`, async () => {
      const body = await requestBody('addOffsetsToTxn', version, { ...producer, groupId: 'readers' });
      expect(decodeAddOffsetsToTxnRequest(body, version)).toEqual({ ...decodedProducer, groupId: 'readers' });
      expect(body.remaining).toBe(0);
      const decoded = await kafkajsApi('addOffsetsToTxn', version).response.decode(
        responseBody((w) => encodeTransactionErrorResponse(w, version, { errorCode: 0 })),
      );
      expect(decoded.errorCode).toBe(0);
    });
  }
  for (const version of sharedVersions('endTxn', ApiKey.EndTxn)) {
    it(`EndTxn v${version}`, async () => {
      for (const transactionResult of [true, false]) {
        const body = await requestBody('endTxn', version, { ...producer, transactionResult });
        expect(decodeEndTxnRequest(body, version)).toEqual({
          ...decodedProducer,
          committed: transactionResult,
        });
        expect(body.remaining).toBe(0);
      }
      const decoded = await kafkajsApi('endTxn', version).response.decode(
        responseBody((w) => encodeTransactionErrorResponse(w, version, { errorCode: 0 })),
      );
      expect(decoded.errorCode).toBe(0);
    });
  }
});

describe('TxnOffsetCommit codec', () => {
  for (const version of sharedVersions('txnOffsetCommit', ApiKey.TxnOffsetCommit)) {
    it(`v${version}`, async () => {
      const body = await requestBody('txnOffsetCommit', version, {
        ...producer,
        groupId: 'readers',
        topics: [{ topic: 'payments', partitions: [{ partition: 1, offset: '17', metadata: null }] }],
      });
      expect(decodeTxnOffsetCommitRequest(body, version)).toEqual({
        ...decodedProducer,
        groupId: 'readers',
        topics: [
          {
            name: 'payments',
            partitions: [
              { partitionIndex: 1, committedOffset: 17n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ],
      });
      expect(body.remaining).toBe(0);
      const decoded = await kafkajsApi('txnOffsetCommit', version).response.decode(
        responseBody((w) =>
          encodeTxnOffsetCommitResponse(w, version, {
            topics: [{ name: 'payments', results: [{ partitionIndex: 1, errorCode: 0 }] }],
          }),
        ),
      );
      expect(decoded.topics).toEqual([{ topic: 'payments', partitions: [{ partition: 1, errorCode: 0 }] }]);
    });
  }
});

describe('transaction markers (control records)', () => {
  it('encodes a transactional control batch of one record: key version + type, value version + coordinator epoch', () => {
    const batch = encodeTransactionMarker({
      producerId: 9n,
      producerEpoch: 2,
      result: 'commit',
      coordinatorEpoch: 5,
      timestamp: 1_700_000_000_000n,
    });
    const validation = validateRecordBatch(batch);
    expect(validation).toMatchObject({
      ok: true,
      header: { isTransactional: true, isControl: true, producerId: 9n, producerEpoch: 2, baseSequence: -1 },
    });
    const [record] = decodeRecordBatch(batch);
    expect(record?.key).toEqual(Buffer.from([0, 0, 0, 1]));
    expect(record?.value).toEqual(Buffer.from([0, 0, 0, 0, 0, 5]));
    expect(transactionResultOf(batch)).toBe('commit');
  });
});
