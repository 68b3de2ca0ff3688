/** Errors of the local HTTP gateway. Each has a stable `code`. */

/** A local service could not listen because another process holds its port. */
export class PortInUseError extends Error {
  readonly code = 'PORT_IN_USE';
  /** Which service wanted the port, e.g. "the HTTP gateway". */
  readonly service: string;
  constructor(
    readonly host: string,
    readonly port: number,
    options?: { cause?: unknown; service?: string },
  ) {
    const service = options?.service ?? 'the HTTP gateway';
    super(
      `${service} cannot listen: ${host}:${port} is already in use; stop the process that holds it or choose another port`,
      { cause: options?.cause },
    );
    this.name = 'PortInUseError';
    this.service = service;
  }
}

/** A route table entry is malformed; found when the gateway starts, not on the first request. */
export class RouteDefinitionError extends Error {
  readonly code = 'ROUTE_INVALID';
  constructor(routeKey: string, expected: string) {
    super(`route "${routeKey}" is invalid: expected ${expected}`);
    this.name = 'RouteDefinitionError';
  }
}

/** A handler answered something API Gateway cannot turn into an HTTP response (API Gateway answers 500). */
export class InvalidLambdaResponseError extends Error {
  readonly code = 'LAMBDA_RESPONSE_INVALID';
  constructor(problem: string) {
    super(`the handler's response is not a valid payload format 2.0 response: ${problem}`);
    this.name = 'InvalidLambdaResponseError';
  }
}
