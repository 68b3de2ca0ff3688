export { InvalidLambdaResponseError, PortInUseError, RouteDefinitionError } from './errors';
export { isTextContentType, toApiGatewayEvent } from './request-event';
export { toHttpAnswer } from './response';
export { type RouteDefinition, RouteTable } from './routes';
export {
  type HttpFunction,
  type HttpGateway,
  type HttpGatewayOptions,
  MAX_REQUEST_BODY_BYTES,
  type RequestOutcome,
  startHttpGateway,
} from './server';
