/**
 * Field rules an event schema can share (zod's tree-shakable "mini" API, see functions/event/definition.ts):
 * messages that tell a missing field from a wrong one, and the identifier rule event ids must follow.
 */
import * as z from 'zod/mini';

/** The zod issue properties the messages below look at. */
export interface RawIssue {
  readonly code?: string;
  readonly input?: unknown;
  readonly format?: string;
  readonly keys?: readonly string[];
}

/**
 * For a value of the wrong type or format: "is required" when the field is absent, otherwise what it must
 * be, so the client learns which one it was.
 */
export const requiredAs =
  (what: string, expected: string) =>
  (issue: RawIssue): string =>
    issue.input === undefined ? `${what} is required` : `${what} must be ${expected}`;

/**
 * 1-128 of letters, digits and `. _ : -`: the rule for event ids (they key ledger items, see
 * functions/ledger/keys.ts) and a safe one for other ids such as record keys.
 */
export const identifier = (what: string) =>
  z
    .string({ error: requiredAs(what, 'a string') })
    .check(
      z.minLength(1, `${what} must not be empty`),
      z.maxLength(128, `${what} must be at most 128 characters`),
      z.regex(/^[A-Za-z0-9._:-]+$/, `${what} may only contain letters, digits and . _ : -`),
    );

/** A strict object's own messages: unknown fields named, a non-object described as `what` expected. */
export const objectError = (what: string) => (issue: RawIssue) =>
  issue.code === 'unrecognized_keys'
    ? `unknown field(s): ${(issue.keys ?? []).join(', ')}`
    : requiredAs(what, 'a JSON object')(issue);
