import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm test`: every compiled `*.spec.js` (unit, beside the code) and `test/**\/*.test.js`
 * (integration and end to end) under dist/, through Node's own test runner.
 */
function findTests(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) findTests(full, found);
    else if (/\.(spec|test)\.js$/.test(entry)) found.push(full);
  }
  return found;
}

const filter = process.argv.slice(2);
const files = findTests('dist')
  .filter((file) => filter.length === 0 || filter.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/');
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
