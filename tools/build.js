// @ts-check
/**
 * `npm run build`, which `npm start`, `npm test` and `npm run cli` run first. Plain JavaScript,
 * because it must run before anything is compiled.
 *
 * tsc's build mode compares the sources with dist/.tsbuildinfo and returns in about a second when
 * nothing changed, where `tsc -p` re-reads and re-checks every file (about 6 s here). tsc-alias
 * (which rewrites the `@hub/*` paths in the output) only runs when tsc wrote something, which it
 * shows by rewriting its build info.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';

const BUILD_INFO = 'dist/.tsbuildinfo';
const require = createRequire(import.meta.url);

/** When the build info was last written; undefined before the first build. */
function builtAt() {
  try {
    return statSync(BUILD_INFO).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Runs a package's command-line script with this Node, output to the terminal; exits with its
 * status when it fails.
 * @param {string} script
 * @param {string[]} args
 */
function run(script, args) {
  const result = spawnSync(process.execPath, [require.resolve(script), ...args], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const before = builtAt();
run('typescript/bin/tsc', ['--build', 'tsconfig.json']);
if (builtAt() !== before) run('tsc-alias/dist/bin/index.js', ['-p', 'tsconfig.json']);
