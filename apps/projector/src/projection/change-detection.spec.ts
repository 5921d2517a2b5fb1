import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedPaths } from './change-detection.js';

test('an unchanged snapshot changes nothing, whatever the key order', () => {
  assert.deepEqual(changedPaths({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, 'project'), []);
});

test('names the changed leaves with the entity as root', () => {
  const before = { stage: 'Lead', address: { zip: '2000', state: 'NSW' } };
  const after = { stage: 'Sold', address: { zip: '2001', state: 'NSW' } };
  assert.deepEqual(changedPaths(before, after, 'project'), ['project.address.zip', 'project.stage']);
});

test('a change inside an array of objects is a change of the field, without positions', () => {
  const before = { systems: [{ modules: [{ code: 'M1' }], kw_stc: 6.6 }] };
  const after = { systems: [{ modules: [{ code: 'M2' }], kw_stc: 6.6 }] };
  assert.deepEqual(changedPaths(before, after, 'project'), ['project.systems.modules.code']);
});

test('an added system reports every field it brings', () => {
  const after = { systems: [{ kw_stc: 5 }, { kw_stc: 3, modules: [] }] };
  assert.deepEqual(changedPaths({ systems: [{ kw_stc: 5 }] }, after, 'project'), [
    'project.systems.kw_stc',
    'project.systems.modules',
  ]);
});

test('a new entity reports all of its leaves; scalar arrays count as one value', () => {
  assert.deepEqual(changedPaths(undefined, { email: 'a@b.c', tags: ['x'] }, 'customer'), [
    'customer.email',
    'customer.tags',
  ]);
});
