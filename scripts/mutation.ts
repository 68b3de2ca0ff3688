// Mutation testing of the exactly-once core, one file at a time against its own test files, then a score
// per file: the share of compiling mutants that some test kills (killed or timed out).
// Usage: npm run mutation [-- <file> ...]   (no file: every core file; reports in reports/mutation/)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

// Each file runs against the test files that are about it (not the whole folder: the integration tests there
// cover the same lines again, and every mutant would run them too).
const core: Record<string, string[]> = {
  'functions/consume/verification.ts': [
    'test/functions/consume/verification.test.ts',
    'test/functions/consume/redelivery-or-duplicate.test.ts',
    'test/functions/consume/late-records.test.ts',
    'test/functions/consume/step-planning.test.ts',
  ],
  'functions/consume/partition-processing.ts': [
    'test/functions/consume/step-planning.test.ts',
    'test/functions/consume/consume.test.ts',
    'test/functions/consume/nothing-parked.test.ts',
  ],
  'functions/ledger/ledger.ts': ['test/functions/ledger/*.test.ts'],
  'functions/shared/producer-session.ts': ['test/functions/shared/producer-session*.test.ts'],
  'functions/ingest/request.ts': ['test/functions/ingest/request*.test.ts'],
  'local/broker/storage/producer-state.ts': ['test/local/broker/storage/producer-state*.test.ts'],
};

const requested = process.argv.slice(2);
const unknown = requested.filter((file) => !(file in core));
if (unknown.length > 0) {
  console.error(`not a core file: ${unknown.join(', ')}; core files: ${Object.keys(core).join(', ')}`);
  process.exit(2);
}
const targets = requested.length > 0 ? requested : Object.keys(core);

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

function reportFile(target: string): string {
  return `reports/mutation/${target.replace(/[/.]/g, '-')}.json`;
}

function score(target: string): string {
  if (!existsSync(reportFile(target))) return 'no report';
  const report = JSON.parse(readFileSync(reportFile(target), 'utf8')) as Report;
  const statuses = Object.values(report.files).flatMap((file) => file.mutants.map((mutant) => mutant.status));
  const count = (...wanted: string[]) => statuses.filter((status) => wanted.includes(status)).length;
  const killed = count('Killed', 'Timeout');
  const compiling = killed + count('Survived', 'NoCoverage');
  const percent = compiling === 0 ? 0 : (100 * killed) / compiling;
  return `${percent.toFixed(2)}% (${killed} of ${compiling} compiling mutants killed, ${count('Survived')} survived, ${count('NoCoverage')} not covered)`;
}

let failed = false;
for (const target of targets) {
  console.log(`\n== mutating ${target} against ${core[target]?.join(', ')}`);
  // The TypeScript checker compiles each mutant: only the mutated file and what it imports, which takes a
  // fraction of the time the whole project (CDK included) would. Generated, not committed.
  writeFileSync(
    'tsconfig.mutation.json',
    `${JSON.stringify({ extends: './tsconfig.json', include: [target] })}\n`,
  );
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_TARGET: target, MUTATION_TESTS: core[target]?.join(',') },
  });
  if (run.status !== 0) failed = true;
}

console.log('\nMutation score per file (compiling mutants killed):');
for (const target of targets) console.log(`  ${target}: ${score(target)}`);
process.exit(failed ? 1 : 0);
