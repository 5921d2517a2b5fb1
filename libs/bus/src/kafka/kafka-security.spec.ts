import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { kafkaSecurityOptions, SASL_MECHANISMS } from './kafka-security.js';

// The mapping does not parse PEM; any text shows where each one lands.
const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';

describe('kafkaSecurityOptions', () => {
  test('nothing configured: plaintext, no SASL (kafkajs gets neither option)', () => {
    assert.deepEqual(kafkaSecurityOptions(), {});
    assert.deepEqual(kafkaSecurityOptions({}), {});
  });

  test("TLS with Node's defaults is `ssl: true`", () => {
    assert.deepEqual(kafkaSecurityOptions({ tls: { rejectUnauthorized: true } }), { ssl: true });
  });

  test('a CA alone', () => {
    assert.deepEqual(kafkaSecurityOptions({ tls: { ca: CA, rejectUnauthorized: true } }), {
      ssl: { ca: CA, rejectUnauthorized: true },
    });
  });

  test('a client certificate and key, with and without a CA', () => {
    assert.deepEqual(kafkaSecurityOptions({ tls: { cert: CERT, key: KEY, rejectUnauthorized: true } }), {
      ssl: { cert: CERT, key: KEY, rejectUnauthorized: true },
    });
    assert.deepEqual(
      kafkaSecurityOptions({ tls: { ca: CA, cert: CERT, key: KEY, rejectUnauthorized: true } }),
      { ssl: { ca: CA, cert: CERT, key: KEY, rejectUnauthorized: true } },
    );
  });

  test('the certificate check off is passed on, never dropped', () => {
    assert.deepEqual(kafkaSecurityOptions({ tls: { rejectUnauthorized: false } }), {
      ssl: { rejectUnauthorized: false },
    });
    assert.deepEqual(kafkaSecurityOptions({ tls: { ca: CA, rejectUnauthorized: false } }), {
      ssl: { ca: CA, rejectUnauthorized: false },
    });
  });

  test('each SASL mechanism, over plaintext and over TLS', () => {
    for (const mechanism of SASL_MECHANISMS) {
      const sasl = { mechanism, username: 'hub', password: 'secret' };
      assert.deepEqual(kafkaSecurityOptions({ sasl }), { sasl });
      assert.deepEqual(kafkaSecurityOptions({ tls: { rejectUnauthorized: true }, sasl }), {
        ssl: true,
        sasl,
      });
      assert.deepEqual(kafkaSecurityOptions({ tls: { ca: CA, rejectUnauthorized: true }, sasl }), {
        ssl: { ca: CA, rejectUnauthorized: true },
        sasl,
      });
    }
  });
});
