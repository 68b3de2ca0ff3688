import { isJsonObject } from '../../functions/shared/json-object';
import { InvalidLambdaResponseError } from './errors';

export interface HttpAnswer {
  readonly statusCode: number;
  /** Name/value pairs; a name may repeat (set-cookie). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

/** The JSON answers API Gateway itself gives (not the handler's): 404 for no route, 500 for a failed invocation. */
export function gatewayAnswer(statusCode: number, message: string): HttpAnswer {
  return {
    statusCode,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify({ message })),
  };
}

/**
 * Interprets a handler's result the way HTTP APIs interpret a payload format 2.0 response: a result without
 * a statusCode (a string, or any other JSON) is sent as a 200 application/json body; a structured result is
 * checked and sent as given, base64 bodies decoded and each cookie turned into a set-cookie header.
 * Source: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function toHttpAnswer(result: unknown): HttpAnswer {
  if (!isJsonObject(result) || result.statusCode === undefined) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { statusCode: 200, headers: [['content-type', 'application/json']], body: Buffer.from(body) };
  }
  const { statusCode, headers = {}, cookies = [], body = '', isBase64Encoded = false } = result;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    throw new InvalidLambdaResponseError(
      `statusCode must be an integer HTTP status, got ${String(statusCode)}`,
    );
  }
  if (!isJsonObject(headers))
    throw new InvalidLambdaResponseError('headers must be an object of name: value');
  if (!Array.isArray(cookies) || cookies.some((cookie) => typeof cookie !== 'string')) {
    throw new InvalidLambdaResponseError('cookies must be an array of strings');
  }
  if (typeof body !== 'string') {
    throw new InvalidLambdaResponseError(`body must be a string, got ${typeof body}`);
  }
  if (typeof isBase64Encoded !== 'boolean') {
    throw new InvalidLambdaResponseError(`isBase64Encoded must be a boolean, got ${typeof isBase64Encoded}`);
  }

  const answerHeaders: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InvalidLambdaResponseError(`header "${name}" must be a string, number or boolean`);
    }
    answerHeaders.push([name.toLowerCase(), String(value)]);
  }
  // HTTP APIs answer text/plain when a structured response names no content type.
  if (!answerHeaders.some(([name]) => name === 'content-type')) {
    answerHeaders.push(['content-type', 'text/plain; charset=utf-8']);
  }
  for (const cookie of cookies as string[]) answerHeaders.push(['set-cookie', cookie]);
  return {
    statusCode,
    headers: answerHeaders,
    body: isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
}
