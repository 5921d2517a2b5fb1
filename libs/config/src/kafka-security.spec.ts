import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from './config.loader.js';
import { makePemFiles, type PemFiles } from './pem.testing.js';
import { kafkaTlsOn, PlatformConfig } from './platform.config.js';

const valid = { DATABASE_URL: 'postgres://hub@127.0.0.1:5432/hub' };
const PASSWORD = 'pa55-w0rd secret';
const load = (env: Record<string, string>) => loadConfig(PlatformConfig, { ...valid, ...env });

/** Loading `env` fails with exactly one problem, this one (so no other setting is blamed). */
function refuses(env: Record<string, string>, message: RegExp): void {
  assert.throws(
    () => load(env),
    (error: Error) => {
      assert.equal(error.name, 'ConfigError');
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /; /, 'only the one setting is reported');
      assert.ok(!error.message.includes(PASSWORD), 'the password never appears in an error');
      return true;
    },
  );
}

describe('Kafka TLS settings', () => {
  let pem: PemFiles;
  before(() => (pem = makePemFiles()));
  after(() => pem.remove());

  test('are off by default, the certificate check on', () => {
    const config = load({});
    assert.equal(config.KAFKA_SSL, undefined);
    assert.equal(kafkaTlsOn(config), false);
    assert.equal(config.KAFKA_SSL_REJECT_UNAUTHORIZED, true);
    assert.equal(config.KAFKA_SASL_MECHANISM, undefined);
  });

  test('KAFKA_SSL turns TLS on, and must be a boolean', () => {
    assert.equal(kafkaTlsOn(load({ KAFKA_SSL: 'true' })), true);
    assert.equal(kafkaTlsOn(load({ KAFKA_SSL: 'false' })), false);
    refuses({ KAFKA_SSL: 'perhaps' }, /^KAFKA_SSL: must be true or false$/);
  });

  test('a CA file is read once, at load, and turns TLS on', () => {
    const config = load({ KAFKA_SSL_CA_FILE: pem.ca });
    assert.deepEqual(config.KAFKA_SSL_CA_FILE, { path: pem.ca, text: readFileSync(pem.ca, 'utf8') });
    assert.equal(kafkaTlsOn(config), true);
  });

  test('a client certificate and its key are read together', () => {
    const config = load({ KAFKA_SSL_CERT_FILE: pem.cert, KAFKA_SSL_KEY_FILE: pem.key });
    assert.equal(config.KAFKA_SSL_CERT_FILE?.text, readFileSync(pem.cert, 'utf8'));
    assert.equal(config.KAFKA_SSL_KEY_FILE?.text, readFileSync(pem.key, 'utf8'));
    assert.equal(kafkaTlsOn(config), true);
  });

  test('a missing, unreadable or malformed file is refused by its setting', () => {
    const missing = path.join(pem.dir, 'missing.pem');
    refuses({ KAFKA_SSL_CA_FILE: missing }, new RegExp(`^KAFKA_SSL_CA_FILE: cannot use ${missing}: ENOENT$`));
    refuses({ KAFKA_SSL_CA_FILE: pem.dir }, /^KAFKA_SSL_CA_FILE: cannot use .*: EISDIR$/);
    refuses(
      { KAFKA_SSL_CA_FILE: path.join(pem.dir, 'not-pem.txt') },
      /^KAFKA_SSL_CA_FILE: .*not a PEM certificate$/,
    );
    refuses(
      { KAFKA_SSL_CERT_FILE: pem.key, KAFKA_SSL_KEY_FILE: pem.key },
      /^KAFKA_SSL_CERT_FILE: .*not a PEM certificate$/,
    );
    refuses(
      { KAFKA_SSL_CERT_FILE: pem.cert, KAFKA_SSL_KEY_FILE: pem.cert },
      /^KAFKA_SSL_KEY_FILE: .*not an unencrypted PEM private key/,
    );
  });

  test('a certificate needs its key, and a key its certificate', () => {
    refuses({ KAFKA_SSL_CERT_FILE: pem.cert }, /^KAFKA_SSL_CERT_FILE: needs KAFKA_SSL_KEY_FILE/);
    refuses({ KAFKA_SSL_KEY_FILE: pem.key }, /^KAFKA_SSL_KEY_FILE: needs KAFKA_SSL_CERT_FILE/);
    refuses(
      { KAFKA_SSL_CERT_FILE: pem.cert, KAFKA_SSL_KEY_FILE: pem.otherKey },
      /^KAFKA_SSL_KEY_FILE: is not the key of KAFKA_SSL_CERT_FILE/,
    );
  });

  test('KAFKA_SSL=false contradicts a TLS file', () => {
    refuses(
      { KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: pem.ca },
      /^KAFKA_SSL: is false, but KAFKA_SSL_CA_FILE is set/,
    );
  });

  test('turning the certificate check off needs TLS', () => {
    refuses(
      { KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' },
      /^KAFKA_SSL_REJECT_UNAUTHORIZED: is false, but TLS is off/,
    );
    const config = load({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' });
    assert.equal(config.KAFKA_SSL_REJECT_UNAUTHORIZED, false);
    refuses(
      { KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'nah' },
      /^KAFKA_SSL_REJECT_UNAUTHORIZED: must be/,
    );
  });
});

describe('Kafka SASL settings', () => {
  let pem: PemFiles;
  before(() => (pem = makePemFiles()));
  after(() => pem.remove());

  test('take a mechanism with a username and a password', () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512']) {
      const config = load({
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: 'hub',
        KAFKA_SASL_PASSWORD: PASSWORD,
      });
      assert.equal(config.KAFKA_SASL_MECHANISM, mechanism);
      assert.equal(config.KAFKA_SASL_USERNAME, 'hub');
      assert.equal(config.KAFKA_SASL_PASSWORD, PASSWORD);
    }
    refuses(
      { KAFKA_SASL_MECHANISM: 'aws', KAFKA_SASL_USERNAME: 'hub', KAFKA_SASL_PASSWORD: PASSWORD },
      /^KAFKA_SASL_MECHANISM: must be one of plain, scram-sha-256, scram-sha-512$/,
    );
  });

  test('read credentials from files, without the trailing newline', () => {
    const username = path.join(pem.dir, 'username');
    const password = path.join(pem.dir, 'password');
    writeFileSync(username, 'hub\n');
    writeFileSync(password, ` ${PASSWORD}\r\n`);
    const config = load({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME_FILE: username,
      KAFKA_SASL_PASSWORD_FILE: password,
    });
    assert.deepEqual(config.KAFKA_SASL_USERNAME_FILE, { path: username, text: 'hub' });
    // Only line ends are dropped: a space may be part of a password.
    assert.deepEqual(config.KAFKA_SASL_PASSWORD_FILE, { path: password, text: ` ${PASSWORD}` });
  });

  test('a mechanism needs a username and a password, each given once', () => {
    refuses(
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: PASSWORD },
      /^KAFKA_SASL_USERNAME: required with KAFKA_SASL_MECHANISM \(or set KAFKA_SASL_USERNAME_FILE\)$/,
    );
    refuses(
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'hub' },
      /^KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM \(or set KAFKA_SASL_PASSWORD_FILE\)$/,
    );
    const password = path.join(pem.dir, 'password');
    writeFileSync(password, PASSWORD);
    refuses(
      {
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'hub',
        KAFKA_SASL_PASSWORD: PASSWORD,
        KAFKA_SASL_PASSWORD_FILE: password,
      },
      /^KAFKA_SASL_PASSWORD: set either KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both$/,
    );
  });

  test('credentials without a mechanism are refused, not ignored', () => {
    refuses({ KAFKA_SASL_USERNAME: 'hub' }, /^KAFKA_SASL_USERNAME: needs KAFKA_SASL_MECHANISM$/);
    const password = path.join(pem.dir, 'password');
    writeFileSync(password, PASSWORD);
    refuses({ KAFKA_SASL_PASSWORD_FILE: password }, /^KAFKA_SASL_PASSWORD_FILE: needs KAFKA_SASL_MECHANISM$/);
  });

  test('a missing or empty credential file is refused by its setting', () => {
    const missing = path.join(pem.dir, 'no-password');
    refuses(
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'hub', KAFKA_SASL_PASSWORD_FILE: missing },
      /^KAFKA_SASL_PASSWORD_FILE: cannot use .*no-password: ENOENT$/,
    );
    const empty = path.join(pem.dir, 'empty');
    writeFileSync(empty, '\n');
    refuses(
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME_FILE: empty, KAFKA_SASL_PASSWORD: PASSWORD },
      /^KAFKA_SASL_USERNAME_FILE: cannot use .*empty: the file is empty$/,
    );
  });
});
