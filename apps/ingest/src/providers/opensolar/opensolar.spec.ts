import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveSettings } from '../../sources/source-settings.js';
import { events, request, source } from '../mapping.testing.js';
import { redactedHeaders } from '../raw-request.js';

describe('OpenSolar', () => {
  test('one request makes a project, a customer and an activity event', () => {
    const mapped = events('opensolar', {
      project: { id: 7, contacts_data: [{ id: 'c1' }] },
      contact: { id: 'c1', family_name: 'Doe' },
      event: { id: 'e1' },
    });
    assert.deepEqual(
      mapped.map((e) => [e.type, e.externalId]),
      [
        ['project.upserted', '7'],
        ['customer.upserted', 'c1'],
        ['activity.event_recorded', '7'],
      ],
    );
    assert.equal(mapped[1]!.data['last_name'], 'Doe');
  });

  test('the header that holds the secret is a setting, Authorization by default, and is never stored', () => {
    assert.equal(resolveSettings('opensolar', {})['header_name'], 'Authorization');
    assert.throws(
      () => resolveSettings('opensolar', { header_name: 'a b' }),
      /settings\.header_name must be/,
    );
    const headers = { authorization: 'Token a', 'x-token': 'Token b', 'content-type': 'application/json' };
    assert.deepEqual(
      redactedHeaders(source('opensolar', { header_name: 'X-Token' }), { ...request, headers }),
      {
        authorization: '[redacted]',
        'x-token': '[redacted]',
        'content-type': 'application/json',
      },
    );
  });
});
