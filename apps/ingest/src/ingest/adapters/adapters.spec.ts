import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResolvedSource } from '../../sources/source.service.js';
import { mapDelivery } from '../delivery-mapping.js';
import { ADAPTERS } from './index.js';
import { UnmappableDelivery } from './provider-adapter.js';

const request = { headers: {}, body: Buffer.alloc(0), query: {} };
const source = (
  provider: ResolvedSource['provider'],
  settings: Record<string, string> = {},
): ResolvedSource => ({
  tenantId: 't',
  id: 'src_1',
  provider,
  verification: 'signature',
  secret: 's',
  settings,
});

function events(provider: ResolvedSource['provider'], payload: object, settings?: Record<string, string>) {
  const mapped = ADAPTERS[provider].map(payload, request, source(provider, settings));
  assert.equal(mapped.kind, 'events');
  return mapped.kind === 'events' ? mapped.events : [];
}

describe('provider mappings', () => {
  test('Solar Proof activity events map to their activity types on the project', () => {
    const cases = {
      project_email_sent: 'activity.email_sent',
      project_sms_sent: 'activity.sms_sent',
      published_proposal_link: 'activity.proposal_link_published',
      recent_draft_project: 'activity.draft_saved',
    };
    for (const [event, type] of Object.entries(cases)) {
      const [mapped] = events('solarproof', { event, data: { project_id: 'P-1', customer_id: 'C-1' } });
      assert.equal(mapped!.type, type);
      assert.equal(mapped!.topic, 'projects');
      assert.equal(mapped!.externalId, 'P-1');
      assert.equal(mapped!.data['customer_external_id'], 'C-1');
    }
  });

  test('Solar Proof REST-hook payloads name the event in type_request', () => {
    const [mapped] = events('solarproof', {
      type_request: 'customer_status_change',
      id: 'C-9',
      status: 'Signed',
    });
    assert.equal(mapped!.type, 'customer.upserted');
    assert.equal(mapped!.data['status'], 'Signed');
  });

  test('Observer events are keyed by the monitored thing and deduplicated by their own id', () => {
    const mapped = ADAPTERS.observer.map(
      { id: 'e1', type: 'slo.burn_started', slo_id: 'slo-3' },
      request,
      source('observer'),
    );
    assert.equal(mapped.kind, 'events');
    if (mapped.kind !== 'events') return;
    assert.equal(mapped.deliveryId, 'e1');
    assert.equal(mapped.events[0]!.externalId, 'slo:slo-3');
    assert.equal(mapped.events[0]!.type, 'monitoring.slo.burn_started');
  });

  test('an Observer event without the id of its subject is unmappable, naming the field', () => {
    assert.throws(
      () => events('observer', { type: 'agent.offline' }),
      /agent\.id \(or agent_id\) is required/,
    );
  });

  test('a Pylon batch becomes one event per project, unmapped fields kept', () => {
    const mapped = events('pylon-observer', {
      team: { uid: 'T', name: 'Team' },
      projects: [{ uid: 'a', stage: 'design' }, { uid: 'b' }],
    });
    assert.deepEqual(
      mapped.map((e) => e.externalId),
      ['a', 'b'],
    );
    assert.deepEqual(mapped[0]!.data['attributes'], { stage: 'design' });
  });

  test('standard-webhooks reads the type and entity id at the configured paths', () => {
    const [mapped] = events(
      'standard-webhooks',
      { kind: 'invoice.paid', object: { ref: 'INV-1' } },
      { event_type_path: 'kind', entity_id_path: 'object.ref', topic: 'customers' },
    );
    assert.equal(mapped!.type, 'invoice.paid');
    assert.equal(mapped!.externalId, 'INV-1');
    assert.equal(mapped!.topic, 'customers');
  });

  test('CaseSolved Webhook Validate is a handshake, not an event', () => {
    assert.deepEqual(
      ADAPTERS.casesolved.map({ event: 'Webhook Validate', data: {} }, request, source('casesolved')),
      {
        kind: 'handshake',
      },
    );
  });

  test('an id that is a JSON number beyond 2^53 is unmappable for every provider, naming the field', () => {
    const big = JSON.parse('12345678901234567890123') as number;
    const cases: Array<[ResolvedSource['provider'], object, RegExp, Record<string, string>?]> = [
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
        () => ADAPTERS[provider].map(payload, request, source(provider)),
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

  test("CaseSolved's Webhook Validate without a data object is still a handshake", async () => {
    const at = { ...request, receivedAt: new Date() };
    assert.equal(
      (await mapDelivery(source('casesolved'), at, { event: 'Webhook Validate' })).kind,
      'handshake',
    );
  });
});
