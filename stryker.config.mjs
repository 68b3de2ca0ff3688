// @ts-check
// Mutation testing of one exactly-once core file at a time (`npm run mutation`, scripts/mutation.ts sets
// MUTATION_TARGET and MUTATION_TESTS). Each file runs only against its own test files.
const target = process.env.MUTATION_TARGET;
if (!target) throw new Error('MUTATION_TARGET must name the file to mutate, e.g. functions/ledger/ledger.ts');
const name = target.replace(/[/.]/g, '-');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  checkers: ['typescript'],
  // Type-checks each mutant: the mutated file and its imports (scripts/mutation.ts writes this file).
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [target],
  coverageAnalysis: 'perTest',
  // The machine is shared: two test processes at most.
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 30_000,
  // The initial run of the test files takes minutes on a busy machine.
  dryRunTimeoutMinutes: 30,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['.local', 'cdk.out', '.cache', '.bench', '.tools', '.venv', 'coverage', 'reports'],
};
