import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEventBus, type ConsumedMessage, type EventBus } from '@hub/bus';
import { loadConfig, PlatformConfig } from '@hub/config';
import { createDataSource } from '@hub/persistence';
import { busSettings, kafkaUnreachable } from '@hub/runtime';
import { issue, throwawayCa, type Issued } from '../support/certificates.js';
import { unique } from '../support/collector.js';
import { startKafka, type KafkaBroker } from '../support/kafka-mock.js';
import { KafkaTlsTerminator } from '../support/kafka-tls-terminator.js';
import { testSetting } from '../support/test-env.js';
import { testTopic } from '../support/topic-prefix.js';

const kafka = await startKafka();
const skip =
  'skip' in kafka
    ? kafka.skip
    : testSetting('KAFKA_BROKERS')
      ? 'the TLS terminator fronts the librdkafka mock cluster, not a real broker'
      : false;

/** The settings an app would load, pointed at the terminator. */
function settings(broker: KafkaBroker, terminator: KafkaTlsTerminator, env: Record<string, string>) {
  return loadConfig(PlatformConfig, {
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
    ...broker.wiring,
    KAFKA_BROKERS: terminator.address,
    LOG_LEVEL: 'error',
    ...env,
  });
}

/**
 * A bus as an app builds it from these settings. The Kafka bus uses its DataSource only inside a
 * handler's transaction(), which these tests never open, so it is never connected.
 */
function busFrom(config: PlatformConfig): EventBus {
  const dataSource = createDataSource({
    url: config.DATABASE_URL,
    applicationName: 'test',
    entities: [],
    migrations: [],
  });
  return createEventBus(busSettings(config, 'tls-test'), dataSource);
}

/** Publishes one message and waits until a new consumer group has read it back. */
async function roundTrip(bus: EventBus): Promise<ConsumedMessage> {
  const topic = testTopic('tls');
  await bus.publish(topic, [{ key: 'k', value: 'over TLS' }]);
  let received!: (message: ConsumedMessage) => void;
  const first = new Promise<ConsumedMessage>((resolve) => (received = resolve));
  const subscription = await bus.subscribe({
    groupId: unique('tls-group'),
    topics: [topic],
    handler: async (messages) => messages.forEach(received),
  });
  try {
    return await first;
  } finally {
    await subscription.close();
  }
}

describe('Kafka over TLS', { skip, timeout: 120_000 }, () => {
  let broker: KafkaBroker;
  let dir: string;
  let ca: Issued;
  let otherCa: Issued;
  let server: Issued;
  let client: Issued;
  const terminators: KafkaTlsTerminator[] = [];
  const buses: EventBus[] = [];

  /** A terminator with the server certificate; `clientCa` set: clients must show a certificate of it. */
  async function terminator(clientCa?: Issued): Promise<KafkaTlsTerminator> {
    const started = new KafkaTlsTerminator(broker.brokers, {
      cert: await readFile(server.cert),
      key: await readFile(server.key),
      ...(clientCa ? { ca: await readFile(clientCa.cert), requestCert: true, rejectUnauthorized: true } : {}),
    });
    await started.start();
    terminators.push(started);
    return started;
  }

  const config = (tls: KafkaTlsTerminator, env: Record<string, string>) => settings(broker, tls, env);

  function bus(tls: KafkaTlsTerminator, env: Record<string, string>): EventBus {
    const created = busFrom(config(tls, env));
    buses.push(created);
    return created;
  }

  before(async () => {
    if ('skip' in kafka) return;
    broker = kafka.broker;
    dir = await mkdtemp(path.join(tmpdir(), 'hub-kafka-tls-'));
    ca = await throwawayCa(dir, 'ca');
    otherCa = await throwawayCa(dir, 'other-ca');
    server = await issue(ca, dir, 'localhost', 'server');
    client = await issue(ca, dir, 'solar-hub', 'client');
  });

  after(async () => {
    for (const created of buses) await created.close().catch(() => undefined);
    for (const started of terminators) await started.stop();
    if (!('skip' in kafka)) await kafka.broker.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('with KAFKA_SSL and the CA file, a message is published and consumed through TLS only', async () => {
    const tls = await terminator();
    const message = await roundTrip(bus(tls, { KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca.cert }));
    assert.equal(message.value.toString(), 'over TLS');
    // Every broker address the client learned was the terminator's: the seed connection and at
    // least one more, to the broker by the address metadata gave.
    assert.ok(tls.rewrites >= 1, 'metadata named the mock, and the terminator pointed it back at itself');
    assert.ok(tls.secureConnections >= 2, `${tls.secureConnections} TLS connections`);
    assert.deepEqual(tls.handshakeErrors, []);
  });

  test('with another CA the connection is refused, saying why', async () => {
    const tls = await terminator();
    const refused = bus(tls, { KAFKA_SSL_CA_FILE: otherCa.cert });
    const error = await refused.ping().then(
      () => assert.fail('a broker whose certificate no trusted CA signed was accepted'),
      (failure: unknown) => failure,
    );
    // What start-up prints (connectPlatform): the setting to fix, and OpenSSL's reason.
    assert.equal(
      kafkaUnreachable(config(tls, { KAFKA_SSL_CA_FILE: otherCa.cert }), error).message,
      `KAFKA_SSL_CA_FILE: the certificate of the broker at ${tls.address} is not signed by a trusted CA (${otherCa.cert}): Connection error: unable to verify the first certificate`,
    );
    assert.ok(tls.handshakeErrors.length >= 1, 'the client broke off the handshake');
    assert.equal(tls.secureConnections, 0);
  });

  test('a broker that requires client certificates gets KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE', async () => {
    const tls = await terminator(ca);
    const withCertificate = {
      KAFKA_SSL_CA_FILE: ca.cert,
      KAFKA_SSL_CERT_FILE: client.cert,
      KAFKA_SSL_KEY_FILE: client.key,
    };
    assert.equal((await roundTrip(bus(tls, withCertificate))).value.toString(), 'over TLS');
    assert.ok(tls.secureConnections >= 2);

    const errorsBefore = tls.handshakeErrors.length;
    await assert.rejects(bus(tls, { KAFKA_SSL_CA_FILE: ca.cert }).ping());
    assert.ok(
      tls.handshakeErrors.length > errorsBefore,
      'the terminator refused a client without a certificate',
    );
  });
});
