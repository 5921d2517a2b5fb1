import { createEventBus, type EventBus, type TransportName } from '@hub/bus';
import { loadConfig, PlatformConfig } from '@hub/config';
import type { Topics } from '@hub/contracts';
import { createDataSource, runMigrationsExclusively } from '@hub/persistence';
import { busSettings, MIGRATIONS } from '@hub/runtime';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startKafka, type KafkaBroker } from './kafka-mock.js';
import { TcpProxy } from './tcp-proxy.js';
import { TEST_GROUP_IDS, TEST_TOPIC_PREFIX, TEST_TOPICS } from './topic-prefix.js';

/**
 * One transport under test, with a fresh database. `env` holds the settings a child process
 * needs to build the same bus; `down`/`up` take the transport away and give it back.
 */
export interface TransportFixture {
  name: TransportName;
  /**
   * Includes TOPIC_PREFIX and the apps' group ids: this test file's own topics and consumer groups
   * (see TEST_TOPIC_PREFIX, TEST_GROUP_IDS), on either transport.
   */
  env: Record<string, string>;
  /** The topics `env` names. */
  topics: Topics;
  /** A bus as an app would build it from `env` (plus `overrides`), on its own DataSource. */
  createBus(clientId?: string, overrides?: Record<string, string>): Promise<EventBus>;
  /** A DataSource on the test database (not through the outage proxy). */
  dataSource: DataSource;
  down?: () => Promise<void>;
  up?: () => Promise<void>;
  /** Makes the transport refuse its next append as a whole, where the test can (the Kafka mock). */
  refuseNextAppend?: () => Promise<void>;
  close(): Promise<void>;
}

export interface TransportCase {
  name: TransportName;
  /** Set when this transport cannot run here; the tests are skipped with this reason. */
  skip?: string;
  /** Set when the tests cannot take this transport down (a real broker); outage tests skip with it. */
  outageSkip: string | false;
  setup(): Promise<TransportFixture>;
}

/** The matrix every conformance test runs over. Kafka's availability is probed once per file. */
export async function transportCases(): Promise<TransportCase[]> {
  const kafka = await startKafka();
  const kafkaCase: TransportCase =
    'skip' in kafka
      ? {
          name: 'kafka',
          skip: kafka.skip,
          outageSkip: kafka.skip,
          setup: () => Promise.reject(new Error(kafka.skip)),
        }
      : {
          name: 'kafka',
          outageSkip: kafka.broker.down ? false : 'a real broker cannot be taken down by the test',
          setup: () => kafkaFixture(kafka.broker),
        };
  return [{ name: 'postgres-log', outageSkip: false, setup: postgresLogFixture }, kafkaCase];
}

export async function postgresLogFixture(): Promise<TransportFixture> {
  const database = await createTestDatabase();
  // The bus reaches Postgres through a proxy so a test can cut it off.
  const target = new URL(database.url);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  await proxy.start();
  const proxied = new URL(database.url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return fixture(
    'postgres-log',
    database,
    { DATABASE_URL: proxied.toString(), ...ownTopicsAndGroups() },
    {
      down: async () => proxy.down(),
      up: async () => proxy.up(),
      stop: () => proxy.stop(),
    },
  );
}

/** This test file's topics and the apps' consumer groups, the same on either transport. */
function ownTopicsAndGroups(): Record<string, string> {
  return {
    TOPIC_PREFIX: TEST_TOPIC_PREFIX,
    PROJECTOR_GROUP_ID: TEST_GROUP_IDS.projector,
    DISPATCHER_GROUP_ID: TEST_GROUP_IDS.dispatcher,
  };
}

async function kafkaFixture(broker: KafkaBroker): Promise<TransportFixture> {
  const database = await createTestDatabase();
  const env = {
    DATABASE_URL: database.url,
    KAFKA_BROKERS: broker.brokers,
    ...ownTopicsAndGroups(),
    ...broker.wiring,
  };
  return fixture('kafka', database, env, {
    ...(broker.down && broker.up ? { down: broker.down, up: broker.up } : {}),
    ...(broker.refuseNextProduce ? { refuseNextAppend: broker.refuseNextProduce } : {}),
    stop: () => broker.stop(),
  });
}

async function fixture(
  name: TransportName,
  database: TestDatabase,
  env: Record<string, string>,
  control: {
    down?: () => Promise<void>;
    up?: () => Promise<void>;
    refuseNextAppend?: () => Promise<void>;
    stop: () => Promise<void>;
  },
): Promise<TransportFixture> {
  const dataSource = await openDatabase(database.url);
  const buses: Array<{ bus: EventBus; dataSource: DataSource }> = [];
  return {
    name,
    env,
    topics: TEST_TOPICS,
    dataSource,
    ...(control.down ? { down: control.down } : {}),
    ...(control.up ? { up: control.up } : {}),
    ...(control.refuseNextAppend ? { refuseNextAppend: control.refuseNextAppend } : {}),
    async createBus(clientId = 'conformance', overrides = {}) {
      const config = loadConfig(PlatformConfig, { ...env, ...overrides });
      const busDataSource = await openDatabase(config.DATABASE_URL);
      const bus = createEventBus(busSettings(config, clientId), busDataSource);
      buses.push({ bus, dataSource: busDataSource });
      return bus;
    },
    async close() {
      for (const { bus, dataSource: ds } of buses) {
        await bus.close().catch(() => undefined);
        await ds.destroy().catch(() => undefined);
      }
      await dataSource.destroy();
      await control.stop();
      await database.drop();
    },
  };
}

export async function openDatabase(url: string): Promise<DataSource> {
  const dataSource = createDataSource({ url, applicationName: 'test', entities: [], migrations: MIGRATIONS });
  await dataSource.initialize();
  await runMigrationsExclusively(dataSource);
  return dataSource;
}
