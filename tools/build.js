// @ts-check
/**
 * `npm run build`, which `npm start`, `npm test` and `npm run cli` run first. Plain JavaScript,
 * because it must run before anything is compiled.
 *
 * tsc's build mode compares the sources with dist/.tsbuildinfo and returns in about a second when
 * nothing changed, where `tsc -p` re-reads and re-checks every file (about 6 s here). tsc-alias
 * (which rewrites the `@hub/*` paths in the output) only runs when tsc wrote something, which it
 * shows by rewriting its build info.
 *
 * The console page (apps/console/web) is built by Vite into dist/console, again only when one of
 * its files is newer than the built page.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const BUILD_INFO = 'dist/.tsbuildinfo';
const CONSOLE_SOURCES = 'apps/console/web';
const CONSOLE_PAGE = 'dist/console/index.html';
const require = createRequire(import.meta.url);

/**
 * When a file was last written; undefined when it does not exist.
 * @param {string} file
 */
function writtenAt(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * The newest modification time of the files below a folder.
 * @param {string} dir
 * @returns {number}
 */
function newestBelow(dir) {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const file = path.join(dir, entry.name);
      return entry.isDirectory() ? newestBelow(file) : (writtenAt(file) ?? 0);
    }),
  );
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

const before = writtenAt(BUILD_INFO);
run('typescript/bin/tsc', ['--build', 'tsconfig.json']);
if (writtenAt(BUILD_INFO) !== before) run('tsc-alias/dist/bin/index.js', ['-p', 'tsconfig.json']);

const pageBuiltAt = writtenAt(CONSOLE_PAGE);
if (pageBuiltAt === undefined || newestBelow(CONSOLE_SOURCES) > pageBuiltAt)
  await import('vite').then((vite) => vite.build({ configFile: `${CONSOLE_SOURCES}/vite.config.mts` }));
