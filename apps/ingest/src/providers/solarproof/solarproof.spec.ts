import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { events, source } from '../mapping.testing.js';
import { redactedQuery } from '../raw-request.js';
import { solarproof } from './solarproof.provider.js';

describe('Solar Proof', () => {
  test('activity events map to their activity types on the project', () => {
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

  test('REST-hook payloads name the event in type_request', () => {
    const [mapped] = events('solarproof', {
      type_request: 'customer_status_change',
      id: 'C-9',
      status: 'Signed',
    });
    assert.equal(mapped!.type, 'customer.upserted');
    assert.equal(mapped!.data['status'], 'Signed');
  });

  test('the URL token is the secret: in the ingest URL only when it is shown, redacted when stored', () => {
    const url = 'https://hub.example/v1/ingest/src_1';
    assert.equal(solarproof.ingestUrl!(url, 'a b/c'), `${url}?token=a%20b%2Fc`);
    assert.equal(solarproof.ingestUrl!(url, null), `${url}?token=<token shown when the secret was set>`);
    assert.deepEqual(redactedQuery(source('solarproof'), { query: { token: 'secret', page: 2 } }), {
      token: '[redacted]',
      page: '2',
    });
    // Another provider's token parameter is no secret of its.
    assert.deepEqual(redactedQuery(source('observer'), { query: { token: 'x' } }), { token: 'x' });
  });
});
