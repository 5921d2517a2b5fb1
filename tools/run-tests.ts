import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm test`: every compiled `*.spec.js` (unit, beside the code) and `test/**\/*.test.js`
 * (integration and end to end) under dist/, through Node's own test runner.
 */
function findTests(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) findTests(full, found);
    else if (/\.(spec|test)\.js$/.test(entry) && hasSource(full)) found.push(full);
  }
  return found;
}

/**
 * tsc builds incrementally into dist/ and never deletes what it built before, so a test whose
 * source was moved or removed would still run from its old output: only outputs with a source count.
 */
function hasSource(compiled: string): boolean {
  return existsSync(path.relative('dist', compiled).replace(/\.js$/, '.ts'));
}

const filter = process.argv.slice(2);
const files = findTests('dist')
  .filter((file) => filter.length === 0 || filter.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/');
  process.exit(1);
}
/**
 * On Node 20 the runner's timeout also bounds each test file's process, from start to exit: a test
 * that hangs, or a file that leaves a handle open (a consumer retrying a stopped broker, say), fails
 * under its own name instead of holding the whole run until CI gives up. The whole suite takes
 * about seven minutes on a 2-core machine.
 */
const FILE_TIMEOUT_MS = 10 * 60_000;
const child = spawn(
  process.execPath,
  ['--test', '--test-reporter=spec', `--test-timeout=${FILE_TIMEOUT_MS}`, ...files],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
