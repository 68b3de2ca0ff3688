/**
 * IAM policy documents as far as MSK's Kafka actions need them: Allow and Deny statements with Action /
 * NotAction and Resource / NotResource, `*` and `?` wildcards, an explicit Deny winning over any Allow and
 * nothing allowed unless a statement allows it (IAM policy evaluation logic, AWS IAM user guide).
 * Conditions are not evaluated: a statement with one is refused when loaded if it could concern Kafka.
 */

export type Effect = 'Allow' | 'Deny';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: Effect;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: unknown;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[];
}

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly code = 'INVALID_POLICY';
}

export type Decision = 'allow' | 'implicit-deny' | 'explicit-deny';

function list(value: string | readonly string[] | undefined): readonly string[] | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? [value] : value;
}

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '');
}

interface CompiledStatement {
  readonly effect: Effect;
  readonly actions: { readonly patterns: readonly RegExp[]; readonly negated: boolean };
  readonly resources: { readonly patterns: readonly RegExp[]; readonly negated: boolean };
}

function compileList(
  statement: PolicyStatement,
  positive: 'Action' | 'Resource',
  index: number,
): { patterns: RegExp[]; negated: boolean } {
  const negative = positive === 'Action' ? 'NotAction' : 'NotResource';
  const given = list(statement[positive]);
  const negated = list(statement[negative]);
  if ((given === undefined) === (negated === undefined)) {
    throw new PolicyError(`statement ${index}: expected exactly one of ${positive} and ${negative}`);
  }
  const patterns = (given ?? negated ?? []).map((pattern) => {
    if (typeof pattern !== 'string') {
      throw new PolicyError(
        `statement ${index}: ${positive} entries must be strings, got ${JSON.stringify(pattern)}`,
      );
    }
    return wildcard(pattern, positive === 'Action');
  });
  return { patterns, negated: negated !== undefined };
}

/** A policy checked once and compiled for evaluation. */
export class Policy {
  private readonly statements: readonly CompiledStatement[];

  constructor(readonly document: PolicyDocument) {
    if (!Array.isArray(document?.Statement)) {
      throw new PolicyError(`a policy document needs a Statement array, got ${JSON.stringify(document)}`);
    }
    this.statements = document.Statement.map((statement, index) => {
      if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
        throw new PolicyError(
          `statement ${index}: Effect must be Allow or Deny, got ${JSON.stringify(statement.Effect)}`,
        );
      }
      const compiled: CompiledStatement = {
        effect: statement.Effect,
        actions: compileList(statement, 'Action', index),
        resources: compileList(statement, 'Resource', index),
      };
      if (statement.Condition !== undefined && mayConcernKafka(statement)) {
        throw new PolicyError(
          `statement ${index}: conditions are not evaluated by the local IAM emulation (${JSON.stringify(statement.Condition)})`,
        );
      }
      return compiled;
    });
  }

  /** IAM's answer for one action on one resource. */
  evaluate(action: string, resource: string): Decision {
    let allowed = false;
    for (const statement of this.statements) {
      if (!matches(statement.actions, action) || !matches(statement.resources, resource)) continue;
      if (statement.effect === 'Deny') return 'explicit-deny';
      allowed = true;
    }
    return allowed ? 'allow' : 'implicit-deny';
  }
}

function matches(set: CompiledStatement['actions'], value: string): boolean {
  return set.patterns.some((pattern) => pattern.test(value)) !== set.negated;
}

/** Whether a statement could name a kafka-cluster action: NotAction, `*` or a kafka-cluster pattern. */
function mayConcernKafka(statement: PolicyStatement): boolean {
  const actions = list(statement.Action);
  return actions === undefined || actions.some((action) => /^(\*|kafka-cluster:)/i.test(action));
}
