import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveSettings } from '../../sources/source-settings.js';
import { events, request, source } from '../mapping.testing.js';
import { standardWebhooks } from './standard-webhooks.provider.js';

describe('Standard Webhooks', () => {
  test('reads the type and entity id at the configured paths', () => {
    const [mapped] = events(
      'standard-webhooks',
      { kind: 'invoice.paid', object: { ref: 'INV-1' } },
      { event_type_path: 'kind', entity_id_path: 'object.ref', topic: 'customers' },
    );
    assert.equal(mapped!.type, 'invoice.paid');
    assert.equal(mapped!.externalId, 'INV-1');
    assert.equal(mapped!.topic, 'customers');
  });

  test('the webhook-id header is the delivery id', () => {
    const withId = { ...request, headers: { 'webhook-id': 'msg_1' } };
    const mapped = standardWebhooks.map(
      { type: 'x.y', data: { id: 'E' } },
      withId,
      source('standard-webhooks'),
    );
    assert.equal(mapped.kind === 'events' ? mapped.deliveryId : null, 'msg_1');
  });

  test('a source takes whsec_ secrets only, and generates one', () => {
    assert.match(standardWebhooks.secret.generate(), /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.match(standardWebhooks.secret.problem('plain-secret') ?? '', /^secret must be whsec_/);
  });

  test('its settings default, and a wrong one is named', () => {
    assert.deepEqual(resolveSettings('standard-webhooks', {}), {
      over_share: 'slow-lane',
      event_type_path: 'type',
      entity_id_path: 'data.id',
      topic: 'monitoring',
    });
    assert.throws(
      () => resolveSettings('standard-webhooks', { topic: 'invoices' }),
      /settings\.topic must be projects, customers or monitoring/,
    );
  });
});
