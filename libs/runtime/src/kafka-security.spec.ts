import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kafkaSecurityOptions } from '@hub/bus';
import { loadConfig, PlatformConfig } from '@hub/config';
// A spec may load another library's testing helper; nothing that ships does.
import { makePemFiles, type PemFiles } from '../../config/src/pem.testing.js';
import { busSettings } from './platform.js';

const valid = { DATABASE_URL: 'postgres://hub@127.0.0.1:5432/hub', KAFKA_BROKERS: 'kafka:9093' };

/** What `new Kafka()` gets for these settings, through the same path an app takes. */
function kafkajsOptions(env: Record<string, string>) {
  return kafkaSecurityOptions(
    busSettings(loadConfig(PlatformConfig, { ...valid, ...env }), 'test').kafkaSecurity,
  );
}

describe('Kafka security settings reach kafkajs', () => {
  let pem: PemFiles;
  const text = (file: string) => readFileSync(file, 'utf8');
  before(() => (pem = makePemFiles()));
  after(() => pem.remove());

  test('none: plaintext without SASL', () => {
    assert.deepEqual(kafkajsOptions({}), {});
    assert.deepEqual(kafkajsOptions({ KAFKA_SSL: 'false' }), {});
  });

  test('KAFKA_SSL alone: TLS with public CAs and the certificate check', () => {
    assert.deepEqual(kafkajsOptions({ KAFKA_SSL: 'true' }), { ssl: true });
    assert.deepEqual(kafkajsOptions({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }), {
      ssl: { rejectUnauthorized: false },
    });
  });

  test('a CA file, with or without KAFKA_SSL', () => {
    const expected = { ssl: { ca: text(pem.ca), rejectUnauthorized: true } };
    assert.deepEqual(kafkajsOptions({ KAFKA_SSL_CA_FILE: pem.ca }), expected);
    assert.deepEqual(kafkajsOptions({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: pem.ca }), expected);
  });

  test('a client certificate and key (mutual TLS), with a CA', () => {
    assert.deepEqual(
      kafkajsOptions({
        KAFKA_SSL_CA_FILE: pem.ca,
        KAFKA_SSL_CERT_FILE: pem.cert,
        KAFKA_SSL_KEY_FILE: pem.key,
      }),
      { ssl: { ca: text(pem.ca), cert: text(pem.cert), key: text(pem.key), rejectUnauthorized: true } },
    );
  });

  test('SASL from values, over plaintext and over TLS', () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      const env = {
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: 'key',
        KAFKA_SASL_PASSWORD: 'secret',
      };
      const sasl = { mechanism, username: 'key', password: 'secret' };
      assert.deepEqual(kafkajsOptions(env), { sasl });
      assert.deepEqual(kafkajsOptions({ ...env, KAFKA_SSL: 'true' }), { ssl: true, sasl });
    }
  });

  test('SASL from files (Kubernetes secrets), with a CA', () => {
    const username = path.join(pem.dir, 'username');
    const password = path.join(pem.dir, 'password');
    writeFileSync(username, 'hub\n');
    writeFileSync(password, 'from-a-file\n');
    assert.deepEqual(
      kafkajsOptions({
        KAFKA_SSL_CA_FILE: pem.ca,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME_FILE: username,
        KAFKA_SASL_PASSWORD_FILE: password,
      }),
      {
        ssl: { ca: text(pem.ca), rejectUnauthorized: true },
        sasl: { mechanism: 'scram-sha-512', username: 'hub', password: 'from-a-file' },
      },
    );
  });
});
