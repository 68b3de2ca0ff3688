/** What request handlers share: the broker's settings, its storage, its group and transaction coordinators. */
import type { Access } from '../auth/kafka-permissions';
import type { LocalIam } from '../auth/local-iam';
import type { SaslSession } from '../auth/sasl-session';
import type { GroupCoordinator } from '../groups/coordinator';
import type { ApiTable } from '../protocol/api-keys';
import { type RequestHeader, startResponse } from '../protocol/header';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { BrokerStorage, TopicDescription } from '../storage/types';
import type { TransactionCoordinator } from '../transactions/coordinator';
import type { BrokerConfig } from './config';
import type { BrokerLogger } from './logger';

export interface BrokerContext {
  readonly config: BrokerConfig;
  /** The API versions this broker serves and advertises. */
  readonly apis: ApiTable;
  readonly storage: BrokerStorage;
  readonly groups: GroupCoordinator;
  readonly transactions: TransactionCoordinator;
  readonly logger: BrokerLogger;
  /** Principals and policies when clients must authenticate with MSK IAM tokens (SASL OAUTHBEARER). */
  readonly iam?: LocalIam;
  /** Host and port clients are told to connect to. */
  advertised(): { host: string; port: number };
}

export interface RequestContext {
  readonly header: RequestHeader;
  readonly clientHost: string;
  /** Aborts when the connection or the broker closes, ending long polls. */
  readonly signal: AbortSignal;
  /** The connection's SASL state, on a listener that requires authentication. */
  readonly sasl?: SaslSession;
  /** What the authenticated principal may do; requests are checked against it when present. */
  readonly access?: Access;
}

/** A handler's answer when the protocol says no response is sent (Produce with acks = 0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');

/** A handler's answer when Kafka would close the connection instead of answering. */
export class CloseConnection {
  constructor(readonly reason: string) {}
}

export type HandlerResult<Response> = Response | typeof NO_RESPONSE | CloseConnection;

/**
 * A whole response frame (its parts, written back to back without joining), no response, or a
 * connection to close.
 */
export type Served = readonly Buffer[] | undefined | CloseConnection;

export type RequestHandler = (
  body: Reader,
  broker: BrokerContext,
  context: RequestContext,
) => Served | Promise<Served>;

/**
 * Ties one API's pure decode and encode functions to its handler. Decoding happens synchronously when
 * the request arrives, so handlers see requests in arrival order (storage appends keep that order).
 */
export function route<Request, Response>(
  decode: (reader: Reader, version: number) => Request,
  handle: (
    request: Request,
    broker: BrokerContext,
    context: RequestContext,
  ) => HandlerResult<Response> | Promise<HandlerResult<Response>>,
  encode: (writer: Writer, version: number, response: Response) => void,
): RequestHandler {
  return (body, broker, context) => {
    const version = context.header.apiVersion;
    const finish = (result: HandlerResult<Response>): Served => {
      if (result === NO_RESPONSE) return undefined;
      if (result instanceof CloseConnection) return result;
      const writer = startResponse(context.header);
      encode(writer, version, result);
      return writer.finishParts();
    };
    const result = handle(decode(body, version), broker, context);
    return result instanceof Promise ? result.then(finish) : finish(result);
  };
}

/** Whether `topic` exists and has a partition with this index. */
export function hasPartition(
  topic: TopicDescription | undefined,
  partition: number,
): topic is TopicDescription {
  return topic !== undefined && partition >= 0 && partition < topic.partitions;
}

/** The topic, created on first use when auto-creation is on (Kafka's auto.create.topics.enable). */
export function resolveTopic(
  broker: BrokerContext,
  name: string,
  allowAutoCreate: boolean,
): TopicDescription | undefined {
  const existing = broker.storage.describeTopic(name);
  if (existing || !allowAutoCreate || !broker.config.autoCreateTopics) return existing;
  const errorCode = broker.storage.createTopic(name, broker.config.defaultPartitions);
  if (errorCode !== 0) return undefined;
  broker.logger.info('topic auto-created', { topic: name, partitions: broker.config.defaultPartitions });
  return broker.storage.describeTopic(name);
}
