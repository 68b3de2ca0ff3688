import { RouteDefinitionError } from './errors';

/**
 * An HTTP API route: "METHOD /path" with `{name}` segments and an optional greedy `{name+}` last segment,
 * as API Gateway HTTP APIs define them. `ANY` matches every method.
 */
export interface RouteDefinition<THandler> {
  readonly routeKey: string;
  readonly target: THandler;
}

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'variable'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

export interface Route<THandler> {
  readonly routeKey: string;
  readonly method: string;
  readonly segments: readonly Segment[];
  readonly target: THandler;
}

export interface RouteMatch<THandler> {
  readonly route: Route<THandler>;
  /** Decoded values of the path variables; undefined when the route has none (as in the real event). */
  readonly pathParameters: Record<string, string> | undefined;
}

const METHODS = new Set(['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const VARIABLE = /^\{([A-Za-z0-9._-]+)(\+?)\}$/;

function parseRoute<THandler>(definition: RouteDefinition<THandler>): Route<THandler> {
  const { routeKey } = definition;
  const [method, path, ...rest] = routeKey.split(' ');
  if (method === undefined || !METHODS.has(method) || rest.length > 0) {
    throw new RouteDefinitionError(
      routeKey,
      `"<METHOD> /path" with METHOD one of ${[...METHODS].join(', ')}`,
    );
  }
  if (path === undefined || !path.startsWith('/')) {
    throw new RouteDefinitionError(routeKey, 'a path starting with "/"');
  }
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const segments = parts.map((part, index): Segment => {
    const variable = VARIABLE.exec(part);
    if (!variable) {
      if (part === '' || part.includes('{') || part.includes('}')) {
        throw new RouteDefinitionError(routeKey, `a non-empty literal or {name} segment, got "${part}"`);
      }
      return { kind: 'literal', text: part };
    }
    const name = variable[1] ?? '';
    if (variable[2] !== '+') return { kind: 'variable', name };
    if (index !== parts.length - 1) {
      throw new RouteDefinitionError(routeKey, `the greedy variable {${name}+} as the last segment only`);
    }
    return { kind: 'greedy', name };
  });
  return { routeKey, method, segments, target: definition.target };
}

/** Literal beats variable beats greedy, segment by segment; a named method beats ANY (HTTP API rules). */
function specificity(route: Route<unknown>): number[] {
  const rank = { literal: 3, variable: 2, greedy: 1 } as const;
  return [...route.segments.map((segment) => rank[segment.kind]), route.method === 'ANY' ? 0 : 1];
}

function compareSpecificity(a: Route<unknown>, b: Route<unknown>): number {
  const left = specificity(a);
  const right = specificity(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (right[i] ?? 0) - (left[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function matchSegments(route: Route<unknown>, parts: readonly string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of route.segments.entries()) {
    const part = parts[index];
    if (segment.kind === 'greedy') {
      if (part === undefined) return undefined;
      parameters[segment.name] = parts.slice(index).map(decodeSegment).join('/');
      return parameters;
    }
    if (part === undefined || part === '') return undefined;
    if (segment.kind === 'literal' && segment.text !== decodeSegment(part)) return undefined;
    if (segment.kind === 'variable') parameters[segment.name] = decodeSegment(part);
  }
  return parts.length === route.segments.length ? parameters : undefined;
}

function decodeSegment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // a malformed escape is passed through as sent
  }
}

/** A route table: matches a request to the most specific route, as API Gateway HTTP APIs select routes. */
export class RouteTable<THandler> {
  private readonly routes: readonly Route<THandler>[];

  constructor(definitions: readonly RouteDefinition<THandler>[]) {
    const routes = definitions.map(parseRoute);
    const seen = new Set<string>();
    for (const route of routes) {
      if (seen.has(route.routeKey)) throw new RouteDefinitionError(route.routeKey, 'each route key once');
      seen.add(route.routeKey);
    }
    this.routes = [...routes].sort(compareSpecificity);
  }

  match(method: string, rawPath: string): RouteMatch<THandler> | undefined {
    const parts = rawPath === '/' ? [] : rawPath.replace(/^\//, '').split('/');
    for (const route of this.routes) {
      if (route.method !== 'ANY' && route.method !== method) continue;
      const parameters = matchSegments(route, parts);
      if (parameters === undefined) continue;
      return {
        route,
        pathParameters: Object.keys(parameters).length > 0 ? parameters : undefined,
      };
    }
    return undefined;
  }
}
