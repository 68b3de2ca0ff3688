import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// Mutation testing (stryker.config.mjs) runs one core file against its own test files only:
// MUTATION_TESTS is a comma-separated list of their globs.
const files = (process.env.MUTATION_TESTS ?? '').split(',').filter((glob) => glob !== '');
if (files.length === 0) {
  throw new Error('MUTATION_TESTS must name the test files to run, e.g. test/functions/ledger/*.test.ts');
}

// Not mergeConfig: it would add these files to the base `include` instead of replacing it.
export default defineConfig({ ...base, test: { ...base.test, include: files } });
