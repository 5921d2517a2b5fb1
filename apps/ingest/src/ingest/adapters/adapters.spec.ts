import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResolvedSource } from '../../sources/source.service.js';
import { ADAPTERS } from './index.js';

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

  test('an Observer event without the id of its subject is a 400 naming the field', () => {
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
});
