import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';

/**
 * The import rules `npm run check` enforces, run by the real command (`npm run deps`'s
 * dependency-cruiser with the repository's `.dependency-cruiser.js`) over a small repository laid
 * out like this one: `@hub/*` aliases from its tsconfig, `.js` specifiers naming `.ts` files.
 */
const REPOSITORY = process.cwd();
const DEPCRUISE = path.join(REPOSITORY, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(REPOSITORY, '.dependency-cruiser.js');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    paths: { '@hub/util': ['./libs/util/src/index.ts'] },
  },
});

/** A repository that keeps every rule: an app uses a library through its alias. */
const CLEAN: Record<string, string> = {
  'tsconfig.json': TSCONFIG,
  'libs/util/src/index.ts': "export { twice } from './twice.js';\n",
  'libs/util/src/twice.ts': 'export const twice = (n: number) => n * 2;\n',
  'apps/ingest/src/main.ts': "import { twice } from '@hub/util';\nexport const four = twice(2);\n",
  'apps/projector/src/main.ts': "import { twice } from '@hub/util';\nexport const six = twice(3);\n",
  'test/support/helper.ts': "import { four } from '../../apps/ingest/src/main.js';\nexport const h = four;\n",
  'bench/run.ts': "import { h } from '../test/support/helper.js';\nexport const b = h;\n",
};

async function violationsOf(files: Record<string, string>): Promise<Violation[]> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'hub-import-rules-'));
  try {
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
    }
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        DEPCRUISE,
        ['--config', CONFIG, '--output-type', 'json', 'apps', 'libs', 'test', 'bench'],
        { cwd: root, maxBuffer: 16 * 1024 * 1024 },
        // It exits non-zero when it finds violations; the JSON report is there either way.
        (error, stdout, stderr) => (stdout ? resolve(stdout) : reject(error ?? new Error(stderr))),
      ),
    );
    const report = JSON.parse(output) as { summary: { violations: Violation[] } };
    return report.summary.violations;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const rulesBroken = (violations: Violation[]) => violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

describe('import rules (npm run check)', { concurrency: true }, () => {
  let clean: Violation[];
  before(async () => {
    clean = await violationsOf(CLEAN);
  });

  test('a repository that keeps the rules passes, aliases and .js specifiers resolved', () => {
    assert.deepEqual(rulesBroken(clean), []);
  });

  test('a cycle is reported', async () => {
    const violations = await violationsOf({
      ...CLEAN,
      'libs/util/src/twice.ts':
        "import { half } from './half.js';\nexport const twice = (n: number) => half(n) * 4;\n",
      'libs/util/src/half.ts':
        "import { twice } from './twice.js';\nexport const half = (n: number) => n / 2 + 0 * twice.length;\n",
    });
    assert.ok(rulesBroken(violations).some((v) => v.startsWith('no-circular: libs/util/src/')));
  });

  test('a cycle through type-only imports is not', async () => {
    const violations = await violationsOf({
      ...CLEAN,
      'libs/util/src/twice.ts':
        "import type { Half } from './half.js';\nexport type Twice = { half?: Half };\nexport const twice = (n: number) => n * 2;\n",
      'libs/util/src/half.ts':
        "import type { Twice } from './twice.js';\nexport type Half = { twice?: Twice };\n",
    });
    assert.deepEqual(rulesBroken(violations), []);
  });

  test('a library importing an app is reported, through a relative path', async () => {
    const violations = await violationsOf({
      ...CLEAN,
      'libs/util/src/twice.ts':
        "import { four } from '../../../apps/ingest/src/main.js';\nexport const twice = (n: number) => n * 2 + 0 * four;\n",
    });
    assert.ok(
      rulesBroken(violations).includes('libs-not-to-apps: libs/util/src/twice.ts → apps/ingest/src/main.ts'),
    );
  });

  test('an app importing another app is reported', async () => {
    const violations = await violationsOf({
      ...CLEAN,
      'apps/projector/src/main.ts':
        "import { four } from '../../ingest/src/main.js';\nexport const six = four + 2;\n",
    });
    assert.deepEqual(rulesBroken(violations), [
      'apps-not-to-other-apps: apps/projector/src/main.ts → apps/ingest/src/main.ts',
    ]);
  });

  test('apps and libraries importing test or bench code are reported, type-only imports too', async () => {
    const violations = await violationsOf({
      ...CLEAN,
      'apps/projector/src/main.ts': "import { b } from '../../../bench/run.js';\nexport const six = b;\n",
      'libs/util/src/index.ts':
        "import type { h } from '../../../test/support/helper.js';\nexport { twice } from './twice.js';\nexport type H = typeof h;\n",
    });
    const broken = rulesBroken(violations);
    assert.ok(broken.includes('production-not-to-test-or-bench: apps/projector/src/main.ts → bench/run.ts'));
    assert.ok(
      broken.includes('production-not-to-test-or-bench: libs/util/src/index.ts → test/support/helper.ts'),
    );
  });

  test('an import that does not resolve is reported, since no rule could see where it goes', async () => {
    const violations = await violationsOf({
      ...CLEAN,
      'apps/ingest/src/main.ts': "import { twice } from '@hub/utl';\nexport const four = twice(2);\n",
    });
    assert.deepEqual(rulesBroken(violations), ['no-unresolvable: apps/ingest/src/main.ts → @hub/utl']);
  });
});
