import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProviderId } from '@hub/contracts';
import { mapDelivery } from '../ingest/delivery-mapping.js';
import { events, request, source } from './mapping.testing.js';
import { UnmappableDelivery } from './provider.js';
import { providerOf } from './registry.js';

describe('provider mappings', () => {
  test('an id that is a JSON number beyond 2^53 is unmappable for every provider, naming the field', () => {
    const big = JSON.parse('12345678901234567890123') as number;
    const cases: Array<[ProviderId, object, RegExp]> = [
      ['opensolar', { project: { id: big } }, /project\.id is a JSON number/],
      ['opensolar', { contact: { id: big } }, /contact\.id/],
      ['opensolar', { project: { id: 1, contacts_data: [{ id: big }] } }, /contacts_data\[\]\.id/],
      ['observer', { type: 'agent.offline', agent_id: big }, /agent_id/],
      ['casesolved', { event: 'Site Plan Change', data: { project_id: big } }, /data\.project_id/],
      ['solarproof', { event: 'customer_created', data: { customer_id: big } }, /data\.customer_id/],
      ['standard-webhooks', { type: 'x.y', data: { id: big } }, /data\.id/],
    ];
    for (const [provider, payload, reason] of cases) {
      assert.throws(
        () => providerOf(provider).map(payload, request, source(provider)),
        (error: unknown) => error instanceof UnmappableDelivery && reason.test(error.message),
        provider,
      );
    }
    // A safe integer is still an id.
    assert.equal(
      events('opensolar', { project: { id: 9007199254740991 } })[0]!.externalId,
      '9007199254740991',
    );
  });

  test('a verified body the schema or the mapping refuses is unmapped with the reason, not an error', async () => {
    const at = { ...request, receivedAt: new Date() };
    const unknownType = await mapDelivery(source('solarproof'), at, {
      type_request: 'invoice_paid',
      id: 'I-1',
    });
    assert.equal(unknownType.kind, 'unmapped');
    assert.match(unknownType.kind === 'unmapped' ? unknownType.reason : '', /type_request must be one of/);
    const missing = await mapDelivery(source('casesolved'), at, { event: 'Site Plan Change', data: {} });
    assert.equal(missing.kind, 'unmapped');
    const wrongType = await mapDelivery(source('pylon-observer'), at, { team: { uid: 'T' }, projects: 'x' });
    assert.equal(wrongType.kind, 'unmapped');
  });
});
