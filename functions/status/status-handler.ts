import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { eventDefinition } from '../event/definition';
import { readEventStatus } from '../ledger/event-status';
import { isUsableEventId } from '../ledger/keys';
import type { EventDefinition } from '../shared/event-definition';
import { createObservability } from '../shared/observability';

export interface StatusHandlerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default the pipeline's event definition (functions/event/definition.ts): names the path parameter */
  readonly definition?: EventDefinition;
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}) {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  } satisfies APIGatewayProxyStructuredResultV2;
}

/**
 * GET /<events>/{<id field>} (eventRoutes in event-definition.ts): where the ledger has the event. 200 applied (with its partition and offset, and
 * any duplicates the consumer caught), 200 dead-lettered (with the reasons), 404 unknown (not applied and
 * not dead-lettered: never sent, or still on its way), 400 for an id no event can have, 503 when the
 * ledger cannot be read.
 */
export function createStatusHandler(options: StatusHandlerOptions) {
  const { logger } = createObservability('status');
  const { idField } = options.definition ?? eventDefinition;
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const eventId = event.pathParameters?.[idField];
    if (!isUsableEventId(eventId)) {
      return json(400, {
        message: `${idField} "${String(eventId).slice(0, 200)}" is not valid: 1-128 of letters, digits and . _ : -`,
      });
    }
    try {
      const status = await readEventStatus(options.client, options.tableName, eventId);
      if (status.status === 'unknown') {
        return json(404, {
          ...status,
          message: `event ${eventId} is neither applied nor dead-lettered: never accepted, or still on its way`,
        });
      }
      return json(200, status);
    } catch (error) {
      logger.error('ledger read failed', { eventId, error: error as Error });
      return json(503, { message: 'the ledger cannot be read right now; try again' }, { 'retry-after': '1' });
    }
  };
}
