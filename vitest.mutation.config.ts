import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// Mutation testing (stryker.config.mjs) runs one core file against its own test folders only:
// MUTATION_TESTS is a comma-separated list of those folders.
const folders = (process.env.MUTATION_TESTS ?? '').split(',').filter((folder) => folder !== '');
if (folders.length === 0)
  throw new Error('MUTATION_TESTS must name the test folders to run, e.g. test/functions/ledger');

// Not mergeConfig: it would add these folders to the base `include` instead of replacing it.
export default defineConfig({
  ...base,
  test: { ...base.test, include: folders.map((folder) => `${folder}/**/*.test.ts`) },
});
