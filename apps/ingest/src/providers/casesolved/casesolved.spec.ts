import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapDelivery } from '../../ingest/delivery-mapping.js';
import { request, source } from '../mapping.testing.js';
import { casesolved } from './casesolved.provider.js';

describe('CaseSolved', () => {
  test('Webhook Validate is a handshake, not an event', () => {
    assert.deepEqual(casesolved.map({ event: 'Webhook Validate', data: {} }, request, source('casesolved')), {
      kind: 'handshake',
    });
  });

  test('Webhook Validate without a data object is still a handshake', async () => {
    const at = { ...request, receivedAt: new Date() };
    assert.equal(
      (await mapDelivery(source('casesolved'), at, { event: 'Webhook Validate' })).kind,
      'handshake',
    );
  });

  test('a secret of its own choosing is taken as it is', () => {
    assert.equal(casesolved.secret.problem('anything at all'), null);
    assert.match(casesolved.secret.generate(), /^[A-Za-z0-9_-]{43}$/);
  });
});
