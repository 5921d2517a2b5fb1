import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '@hub/config';
import { ConsoleConfig } from '../../apps/console/src/config/console.config.js';
import { DispatcherConfig } from '../../apps/dispatcher/src/config/dispatcher.config.js';
import { IngestConfig } from '../../apps/ingest/src/config/ingest.config.js';
import { ProjectorConfig } from '../../apps/projector/src/config/projector.config.js';
import { knownSettingNames } from '../support/settings.js';

/**
 * deploy/kubernetes/: every document is checked against the Kubernetes API's JSON schema (the
 * kubernetes-models package), then against each other and against the apps: what the schema
 * cannot know. The schemas accept unknown fields, so what matters (probes, resources, the
 * security context) is asserted by name.
 */
const ROOT = 'deploy/kubernetes';

interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  [field: string]: unknown;
}
/** An object and the file it is in. */
interface Manifest extends KubernetesObject {
  file: string;
}
interface HttpProbe {
  httpGet?: { path: string; port: number | string };
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}
interface Container {
  name: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  startupProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  };
}
type Selector = { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };

/** The schema of each kind the folder may hold. */
const MODELS: Record<string, new (data: object) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/**
 * Each app, its settings class and the setting that holds its port; whether it keeps data (a
 * database, the bus and the secrets stored there: DATABASE_URL and SECRETS_KEY) and serves
 * /metrics. The console does neither: it serves the page and forwards the APIs to the three apps,
 * with the user's own key, which stays in the browser.
 */
const APPS = {
  ingest: { settings: IngestConfig, port: 'INGEST_PORT', keepsData: true, metrics: true },
  projector: { settings: ProjectorConfig, port: 'PROJECTOR_PORT', keepsData: true, metrics: true },
  dispatcher: { settings: DispatcherConfig, port: 'DISPATCHER_PORT', keepsData: true, metrics: true },
  console: { settings: ConsoleConfig, port: 'CONSOLE_PORT', keepsData: false, metrics: false },
} as const;
type AppName = keyof typeof APPS;

/** The console's setting naming where each app it forwards to answers. */
const CONSOLE_UPSTREAMS = {
  ingest: 'CONSOLE_INGEST_URL',
  projector: 'CONSOLE_PROJECTOR_URL',
  dispatcher: 'CONSOLE_DISPATCHER_URL',
} as const satisfies Partial<Record<AppName, keyof ConsoleConfig>>;

/** Stand-ins for the example Secret's placeholders, which are meant to be refused. */
const VALID_SECRETS = {
  DATABASE_URL: 'postgres://hub:hub@postgres.example.internal:5432/solar_hub',
  SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
};

function yamlFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) yamlFiles(full, found);
    else if (/\.ya?ml$/.test(entry)) found.push(full);
  }
  return found;
}

function readManifests(): Manifest[] {
  return yamlFiles(ROOT).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).flatMap((document) => {
      assert.deepEqual(document.errors, [], `${file} parses as YAML`);
      const value = document.toJS() as KubernetesObject | null;
      return value === null ? [] : [{ ...value, file }];
    }),
  );
}

const manifests = readManifests();
const ofKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
const named = (kind: string, name: string) =>
  manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
const where = (manifest: Manifest) => `${manifest.file}: ${manifest.kind} ${manifest.metadata.name}`;

function podTemplate(deployment: Manifest): PodTemplate {
  return (deployment['spec'] as { template: PodTemplate }).template;
}

/** The one container of a Deployment's pods. */
function container(deployment: Manifest): Container {
  const { containers } = podTemplate(deployment).spec;
  assert.equal(containers.length, 1, `${where(deployment)} runs one container`);
  return containers[0]!;
}

/** The Deployment that runs an app (the test 'run each app once' checks there is one). */
function deploymentOf(app: AppName): Manifest {
  const deployment = ofKind('Deployment').find((candidate) => appOf(candidate) === app);
  assert.ok(deployment, `a Deployment runs ${app}`);
  return deployment;
}

/** Which app a container runs, from its command (`node dist/apps/<app>/src/main.js`). */
function appOf(deployment: Manifest): AppName {
  const command = container(deployment).command?.join(' ') ?? '';
  const app = /^node dist\/apps\/(\w+)\/src\/main\.js$/.exec(command)?.[1];
  assert.ok(app && app in APPS, `${where(deployment)} runs an app: ${command}`);
  return app as AppName;
}

/** A Secret's or a ConfigMap's keys and values (stringData and base64 data alike). */
function entries(object: Manifest): Record<string, string> {
  const data = (object['data'] ?? {}) as Record<string, string>;
  const stringData = (object['stringData'] ?? {}) as Record<string, string>;
  const decoded =
    object.kind === 'Secret'
      ? Object.fromEntries(
          Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
        )
      : data;
  return { ...decoded, ...stringData };
}

/** The environment a Deployment's container gets, from its ConfigMaps, Secrets and own values. */
function environment(deployment: Manifest): Record<string, string> {
  const { envFrom = [], env = [] } = container(deployment);
  const env_: Record<string, string> = {};
  for (const source of envFrom) {
    const object = source.configMapRef
      ? named('ConfigMap', source.configMapRef.name)
      : named('Secret', source.secretRef!.name);
    if (object) Object.assign(env_, entries(object));
  }
  for (const variable of env) {
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
    const kind = variable.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
    env_[variable.name] = ref ? (entries(named(kind, ref.name)!)[ref.key] ?? '') : (variable.value ?? '');
  }
  return env_;
}

/** Whether a selector's labels pick pods with these labels (matchLabels only, as ours are). */
function selects(selector: Selector, labels: Record<string, string>): boolean {
  assert.equal(selector.matchExpressions, undefined, 'selectors use matchLabels only');
  const wanted = Object.entries(selector.matchLabels ?? {});
  return wanted.length > 0 && wanted.every(([key, value]) => labels[key] === value);
}

/** The container port a probe or a Service's targetPort names (by name or number). */
function resolvePort(container: Container, port: number | string): number | undefined {
  return container.ports?.find((p) => p.name === port || p.containerPort === port)?.containerPort;
}

describe('Kubernetes manifests', () => {
  test('every document is a Kubernetes object its API schema accepts', () => {
    assert.ok(manifests.length > 0, `${ROOT} holds manifests`);
    for (const { file: _file, ...object } of manifests) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      assert.ok(Model, `${_file}: ${object.apiVersion} ${object.kind} is a kind this test knows`);
      assert.doesNotThrow(
        () => new Model(object).validate(),
        `${_file}: ${object.kind} ${object.metadata.name}`,
      );
    }
  });

  test('name no namespace, and each name once per kind', () => {
    for (const manifest of manifests)
      assert.equal(
        manifest.metadata.namespace,
        undefined,
        `${where(manifest)} leaves the namespace to kubectl -n`,
      );
    const keys = manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`);
    assert.deepEqual(
      keys.filter((key, i) => keys.indexOf(key) !== i),
      [],
    );
  });

  test('run each app once', () => {
    assert.deepEqual(ofKind('Deployment').map(appOf).sort(), Object.keys(APPS).sort());
  });

  test('refer only to ConfigMaps, Secrets and keys the folder holds', () => {
    for (const deployment of ofKind('Deployment')) {
      const { envFrom = [], env = [] } = container(deployment);
      for (const source of envFrom) {
        const [kind, name] = source.configMapRef
          ? ['ConfigMap', source.configMapRef.name]
          : ['Secret', source.secretRef?.name ?? ''];
        assert.ok(named(kind, name), `${where(deployment)}: envFrom ${kind} ${name} is in ${ROOT}`);
      }
      for (const variable of env) {
        const secretRef = variable.valueFrom?.secretKeyRef;
        const configMapRef = variable.valueFrom?.configMapKeyRef;
        const ref = secretRef ?? configMapRef;
        if (!ref) continue;
        const object = named(secretRef ? 'Secret' : 'ConfigMap', ref.name);
        assert.ok(object, `${where(deployment)}: ${variable.name} names ${ref.name}, which is in ${ROOT}`);
        assert.ok(ref.key in entries(object), `${where(deployment)}: ${ref.name} has the key ${ref.key}`);
      }
    }
  });

  test('set only settings the apps know', async () => {
    const known = await knownSettingNames();
    const names = [
      ...ofKind('ConfigMap').flatMap((map) => Object.keys(entries(map)).map((key) => [where(map), key])),
      ...ofKind('Secret').flatMap((secret) =>
        Object.keys(entries(secret)).map((key) => [where(secret), key]),
      ),
      ...ofKind('Deployment').flatMap((deployment) =>
        (container(deployment).env ?? []).map((variable) => [where(deployment), variable.name]),
      ),
    ];
    assert.deepEqual(
      names.filter(([, name]) => !known.has(name!)).map(([at, name]) => `${at}: ${name}`),
      [],
    );
  });

  test('give each app settings its own validation accepts, and listen on the port its probes ask', () => {
    for (const deployment of ofKind('Deployment')) {
      const app = APPS[appOf(deployment)];
      // The stand-ins replace the example Secret's placeholders for the apps that read them. The
      // console reads neither setting (it keeps no data), and gets no Secret at all (checked below),
      // so it is validated with exactly what its pod gets.
      const env = app.keepsData ? { ...environment(deployment), ...VALID_SECRETS } : environment(deployment);
      const settings = loadConfig(app.settings as new () => object, env) as Record<string, unknown>;
      const listening = settings[app.port];
      const { ports = [], startupProbe, livenessProbe, readinessProbe } = container(deployment);
      assert.deepEqual(
        ports.map((port) => port.containerPort),
        [listening],
        `${where(deployment)}: the container port is the app's ${app.port}`,
      );
      const probes = { startupProbe, livenessProbe, readinessProbe };
      const paths = {
        startupProbe: '/health/live',
        livenessProbe: '/health/live',
        readinessProbe: '/health/ready',
      };
      for (const [probe, expected] of Object.entries(paths)) {
        const httpGet = probes[probe as keyof typeof probes]?.httpGet;
        assert.equal(
          httpGet?.path,
          expected,
          `${where(deployment)}: ${probe} on ${expected} (docs/health.md)`,
        );
        assert.equal(
          resolvePort(container(deployment), httpGet.port),
          listening,
          `${where(deployment)}: ${probe} port`,
        );
      }
    }
  });

  test('give each app resources and an unprivileged, read-only container', () => {
    for (const deployment of ofKind('Deployment')) {
      const { resources, securityContext } = container(deployment);
      const pod = podTemplate(deployment).spec.securityContext;
      for (const request of ['cpu', 'memory'])
        assert.ok(resources?.requests?.[request], `${where(deployment)} requests ${request}`);
      assert.ok(resources?.limits?.['memory'], `${where(deployment)} limits memory`);
      assert.equal(pod?.runAsNonRoot, true, `${where(deployment)}: runAsNonRoot`);
      assert.ok((pod?.runAsUser ?? 0) > 0, `${where(deployment)}: runAsUser is not root`);
      assert.equal(securityContext?.readOnlyRootFilesystem, true, `${where(deployment)}: read-only root`);
      assert.equal(securityContext?.allowPrivilegeEscalation, false, `${where(deployment)}: no escalation`);
      assert.deepEqual(securityContext?.capabilities?.drop, ['ALL'], `${where(deployment)}: no capabilities`);
    }
  });

  test('give each Deployment a Service and a PodDisruptionBudget that select its pods, and only them', () => {
    const deployments = ofKind('Deployment');
    for (const kind of ['Service', 'PodDisruptionBudget']) {
      for (const deployment of deployments) {
        const labels = podTemplate(deployment).metadata.labels;
        const selecting = ofKind(kind).filter((object) => {
          const spec = object['spec'] as { selector: Selector | Record<string, string> };
          const selector =
            kind === 'Service' ? { matchLabels: spec.selector as Record<string, string> } : spec.selector;
          return selects(selector as Selector, labels);
        });
        assert.equal(selecting.length, 1, `${where(deployment)}: one ${kind} selects its pods`);
        const others = deployments.filter((other) => other !== deployment);
        const spec = selecting[0]!['spec'] as { selector: Selector | Record<string, string> };
        const selector = (kind === 'Service' ? { matchLabels: spec.selector } : spec.selector) as Selector;
        for (const other of others)
          assert.ok(
            !selects(selector, podTemplate(other).metadata.labels),
            `${where(selecting[0]!)} selects only ${deployment.metadata.name}`,
          );
        if (kind === 'Service') {
          const ports = (selecting[0]!['spec'] as { ports: Array<{ targetPort: number | string }> }).ports;
          for (const port of ports)
            assert.ok(
              resolvePort(container(deployment), port.targetPort),
              `${where(selecting[0]!)}: targetPort ${port.targetPort}`,
            );
        }
      }
    }
  });

  test("give the console no Secret, and forward each app's API to that app's Service and port", () => {
    const deployment = deploymentOf('console');
    const { envFrom = [], env = [] } = container(deployment);
    assert.deepEqual(
      [
        ...envFrom.filter((source) => source.secretRef).map((source) => source.secretRef!.name),
        ...env.filter((variable) => variable.valueFrom?.secretKeyRef).map((variable) => variable.name),
      ],
      [],
      `${where(deployment)}: no Secret, as it keeps no data`,
    );
    const settings = loadConfig(ConsoleConfig, environment(deployment));
    for (const [app, setting] of Object.entries(CONSOLE_UPSTREAMS)) {
      const url = new URL(settings[setting]);
      const at = `${where(deployment)}: ${setting} ${url.href}`;
      // A Service of the same namespace by its short name: the manifests name no namespace.
      const service = named('Service', url.hostname);
      assert.ok(service, `${at} names a Service in ${ROOT}`);
      const spec = service['spec'] as {
        selector: Record<string, string>;
        ports: Array<{ port: number; targetPort: number | string }>;
      };
      const target = deploymentOf(app as AppName);
      assert.ok(
        selects({ matchLabels: spec.selector }, podTemplate(target).metadata.labels),
        `${at}: ${service.metadata.name} selects the pods of ${target.metadata.name}`,
      );
      const port = spec.ports.find((candidate) => candidate.port === Number(url.port));
      assert.ok(port, `${at}: ${service.metadata.name} has the port ${url.port}`);
      // The container's one port, the one the app listens on (checked above).
      assert.ok(
        resolvePort(container(target), port.targetPort),
        `${at}: the port leads to ${app}'s container port`,
      );
    }
  });

  test('have Prometheus scrape exactly the apps that serve /metrics, on their port', () => {
    for (const deployment of ofKind('Deployment')) {
      const annotations = podTemplate(deployment).metadata.annotations ?? {};
      const scrape = Object.fromEntries(
        Object.entries(annotations).filter(([key]) => key.startsWith('prometheus.io/')),
      );
      if (!APPS[appOf(deployment)].metrics) {
        // A scrape would get 404: the target would be down, and HubAppDown would fire for ever.
        assert.deepEqual(scrape, {}, `${where(deployment)}: serves no /metrics, so no scrape annotations`);
        continue;
      }
      assert.deepEqual(
        scrape,
        {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(container(deployment).ports?.[0]?.containerPort),
          'prometheus.io/path': '/metrics',
        },
        `${where(deployment)}: scraped on its HTTP port`,
      );
    }
  });

  test('keep the example Secret apart, its placeholders refused at start', () => {
    for (const secret of ofKind('Secret'))
      assert.ok(
        secret.file.startsWith(`${ROOT}/examples/`),
        `${where(secret)}: only under examples/, so applying ${ROOT}/ never overwrites a real one`,
      );
    const placeholders = entries(named('Secret', 'solar-hub-secrets')!);
    assert.throws(
      () => loadConfig(IngestConfig, { ...placeholders }),
      /DATABASE_URL: must be a postgres:\/\/ connection URL/,
    );
    assert.throws(
      () => loadConfig(IngestConfig, { ...placeholders }),
      /SECRETS_KEY: must be 32 bytes in base64/,
    );
  });
});
