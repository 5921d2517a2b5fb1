import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { events, request, source } from '../mapping.testing.js';
import { pylonObserver } from './pylon-observer.provider.js';

describe('Pylon Observer', () => {
  test('a batch becomes one event per project, unmapped fields kept', () => {
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

  test('a project without updated_at takes the signed timestamp header as its time', () => {
    const signed = { ...request, headers: { 'x-pylon-observer-timestamp': '1700000000' } };
    const mapped = pylonObserver.map(
      { team: { uid: 'T' }, projects: [{ uid: 'a' }] },
      signed,
      source('pylon-observer'),
    );
    assert.equal(mapped.kind === 'events' ? mapped.events[0]!.time : null, '2023-11-14T22:13:20.000Z');
  });
});
