import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TransportName } from '@hub/bus';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppName, type AppProcess } from '../../test/support/app-process.js';
import { withClient } from '../../test/support/database.js';
import { startKafka, type KafkaBroker } from '../../test/support/kafka-mock.js';
import { createTenant, type Tenant } from '../../test/support/tenants.js';

const APPS: AppName[] = ['ingest', 'projector', 'dispatcher'];

/**
 * The whole system as production runs it, every part its own process and restartable: a Postgres
 * of its own (embedded, so a run can restart it), the Kafka mock cluster where the transport is
 * Kafka (with its broker-down controls), and the three apps. `settings` are added to the apps'
 * environment (a run's own wiring, printed by the run that sets them).
 */
/**
 * BENCH_PG_STATEMENTS=1 loads pg_stat_statements into the embedded Postgres, so the sustained run
 * can say which statements its time goes to: the 15 costliest, or the n costliest with
 * BENCH_PG_STATEMENTS=n (60 lists even those of a thousandth of a millisecond per request). The
 * extension costs a little itself: off by default.
 */
export const STATEMENTS_LISTED = statementsListed(process.env['BENCH_PG_STATEMENTS']);

function statementsListed(value: string | undefined): number {
  if (value === undefined || value === '' || value === '0') return 0;
  if (!/^[1-9][0-9]{0,3}$/.test(value))
    throw new Error(`BENCH_PG_STATEMENTS: "${value}" is not 0, 1 or how many statements to list`);
  return value === '1' ? 15 : Number(value);
}

/** A variable's `name=value` settings, separated by `;`. */
function settingsOf(variable: string): string[] {
  return (process.env[variable] ?? '').split(';').filter(Boolean);
}

/**
 * BENCH_PG_SETTINGS: more server settings for the embedded Postgres, `name=value` separated by
 * `;` (e.g. auto_explain's, to read the plans of slow statements in the server's log).
 */
const EXTRA_PG_SETTINGS = settingsOf('BENCH_PG_SETTINGS');

/**
 * BENCH_APP_SETTINGS: settings for every app, `NAME=value` separated by `;` (e.g.
 * `UNIFIED_RECORDS=off;PROJECTOR_CONCURRENCY=1`), for an A/B of a setting on the same bench. The
 * apps see only what the bench gives them, not this process's environment.
 */
export const APP_SETTINGS: Record<string, string> = Object.fromEntries(
  settingsOf('BENCH_APP_SETTINGS').map((setting) => {
    const at = setting.indexOf('=');
    if (at <= 0) throw new Error(`BENCH_APP_SETTINGS: "${setting}" is not NAME=value`);
    return [setting.slice(0, at), setting.slice(at + 1)];
  }),
);

export class SystemUnderTest {
  private readonly postgresSettings = [
    ...(STATEMENTS_LISTED > 0
      ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track_planning=on']
      : []),
    ...EXTRA_PG_SETTINGS,
  ];
  readonly urls = {} as Record<AppName, string>;
  private readonly apps = {} as Record<AppName, AppProcess>;
  private env: Record<string, string> = {};
  /** Added to the apps' environment by the latest restartApps (e.g. an OTLP endpoint). */
  private appEnv: Record<string, string> = {};
  private postgres!: EmbeddedPostgresHandle;
  private postgresDir = '';
  private kafka: KafkaBroker | null = null;
  /** Every line the apps printed, for a report when something goes wrong. */
  readonly logs: string[] = [];
  tenant!: Tenant;

  constructor(
    readonly transport: TransportName,
    private readonly settings: Record<string, string> = {},
  ) {}

  get databaseUrl(): string {
    return this.env['DATABASE_URL']!;
  }

  get busEnv(): Record<string, string> {
    return this.env;
  }

  async start(): Promise<void> {
    this.postgresDir = await mkdtemp(path.join(os.tmpdir(), 'hub-system-pg-'));
    await chmod(this.postgresDir, 0o755); // under root the server runs as `postgres`
    this.postgres = await startEmbeddedPostgres(
      path.join(this.postgresDir, 'data'),
      await freePort(),
      () => undefined,
      this.postgresSettings,
    );
    const database = `system_${randomBytes(4).toString('hex')}`;
    await withClient(this.postgres.url, (client) => client.query(`CREATE DATABASE ${database}`));
    const url = new URL(this.postgres.url);
    url.pathname = `/${database}`;
    this.env = {
      DATABASE_URL: url.toString(),
      SECRETS_KEY: randomBytes(32).toString('base64'),
      OUTBOUND_ALLOW_HTTP: 'true',
      OUTBOUND_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: 'warn',
      ...APP_SETTINGS,
      ...this.settings,
    };
    if (this.transport === 'kafka') {
      const kafka = await startKafka();
      if ('skip' in kafka) throw new Error(kafka.skip);
      this.kafka = kafka.broker;
      this.env = { ...this.env, KAFKA_BROKERS: kafka.broker.brokers, ...kafka.broker.wiring };
    }
    for (const name of APPS) this.urls[name] = `http://127.0.0.1:${await freePort()}`;
    // Migrations run once, before the apps start together.
    for (const name of APPS) await this.startApp(name);
    this.tenant = await createTenant(this.env, 'Benchmark tenant');
  }

  async startApp(name: AppName): Promise<void> {
    const app = runProcess(`dist/apps/${name}/src/main.js`, {
      ...this.env,
      ...this.appEnv,
      [`${name.toUpperCase()}_PORT`]: new URL(this.urls[name]).port,
    });
    app.child.stdout?.on('data', (chunk: Buffer) =>
      this.logs.push(`[${name}] ${chunk.toString().trimEnd()}`),
    );
    this.apps[name] = app;
    await waitForHealthy(this.urls[name], 60_000);
  }

  /**
   * Stops every app (SIGTERM) and starts them again, on the same database and bus, with `appEnv`
   * added to their environment: the same system set-up run once more with other app settings.
   */
  async restartApps(appEnv: Record<string, string>): Promise<void> {
    for (const name of APPS) await this.apps[name].stop('SIGTERM');
    this.appEnv = appEnv;
    for (const name of APPS) await this.startApp(name);
  }

  /** The embedded Postgres server's process id (its postmaster; its backends are its children). */
  postgresPid(): number | undefined {
    let pidFile = '';
    try {
      pidFile = readFileSync(path.join(this.postgresDir, 'data', 'postmaster.pid'), 'utf8');
    } catch {
      // Not running.
    }
    const pid = Number(pidFile.split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  pid(name: AppName): number {
    return this.apps[name].child.pid!;
  }

  /** SIGTERM, as an operator stops one app: it finishes its work in flight and exits. */
  async stopApp(name: AppName): Promise<void> {
    await this.apps[name].stop('SIGTERM');
  }

  async kill(name: AppName): Promise<void> {
    const app = this.apps[name];
    app.child.kill('SIGKILL');
    await app.exited;
  }

  /** A fast shutdown and a start of the same cluster on the same port: every connection breaks. */
  async restartPostgres(downMs: number): Promise<void> {
    await this.postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.postgres = await startEmbeddedPostgres(
      path.join(this.postgresDir, 'data'),
      this.postgres.port,
      () => undefined,
      this.postgresSettings,
    );
  }

  /** Whether the broker can be taken down: the mock cluster can, a real broker cannot. */
  get canPauseBroker(): boolean {
    return Boolean(this.kafka?.down && this.kafka.up);
  }

  async pauseBroker(downMs: number): Promise<void> {
    await this.kafka?.down?.();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.kafka?.up?.();
  }

  /** Restarts whatever app is not running (a SIGKILLed one whose restart failed while Postgres was down). */
  async ensureRunning(): Promise<void> {
    for (const name of APPS) {
      if (this.apps[name].child.exitCode !== null || this.apps[name].child.signalCode !== null) {
        await this.startApp(name);
      }
    }
  }

  /**
   * For an aborted run whose stop() did not finish in time: every app's process group at once,
   * and an immediate shutdown of Postgres. Both are detached, so they would outlive the bench.
   */
  killNow(): void {
    for (const app of Object.values(this.apps)) void app.stop('SIGKILL').catch(() => undefined);
    const postmaster = this.postgresPid();
    try {
      if (postmaster !== undefined) process.kill(postmaster, 'SIGQUIT');
    } catch {
      // Already gone.
    }
  }

  async stop(): Promise<void> {
    for (const name of APPS) await this.apps[name]?.stop('SIGTERM');
    await this.kafka?.stop();
    await this.postgres?.stop();
    await rm(this.postgresDir, { recursive: true, force: true });
  }
}
