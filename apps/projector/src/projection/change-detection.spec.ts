import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedPaths, deepEqual, diffDocuments } from './change-detection.js';

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

test('a patch sets the changed top-level keys whole and lists the removed ones, sorted', () => {
  const before = { stage: 'Lead', address: { zip: '2000', state: 'NSW' }, z: 1, a: 2, same: [1] };
  const after = { stage: 'Sold', address: { zip: '2001', state: 'NSW' }, same: [1], added: null };
  assert.deepEqual(diffDocuments(before, after, 'project').patch, {
    set: { stage: 'Sold', address: { zip: '2001', state: 'NSW' }, added: null },
    unset: ['a', 'z'],
  });
});

test('replaying a patch over the previous document gives the next one', () => {
  const before = { stage: 'Lead', notes: 'x', systems: [{ kw: 5 }] };
  const after = { stage: 'Lead', systems: [{ kw: 6 }], title: 'T' };
  const { set, unset } = diffDocuments(before, after, 'project').patch;
  const replayed: Record<string, unknown> = { ...before, ...set };
  for (const key of unset) delete replayed[key];
  assert.deepEqual(replayed, after);
});

/** The first implementation, walking each subtree once per level: the reference for the faster one. */
function referencePaths(previous: unknown, next: unknown, root: string): string[] {
  const into = new Set<string>();
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const collect = (a: unknown, b: unknown, path: string): void => {
    if (deepEqual(a, b)) return;
    if (isObject(a) || isObject(b)) {
      const left = isObject(a) ? a : {};
      const right = isObject(b) ? b : {};
      const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
      if (keys.size === 0) into.add(path);
      for (const key of keys) collect(left[key], right[key], `${path}.${key}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].every(isObject)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) collect(a[i], b[i], path);
      return;
    }
    into.add(path);
  };
  collect(previous, next, root);
  return [...into].sort();
}

test('finds the same paths as the reference walk on random documents', () => {
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const value = (depth: number): unknown => {
    const pick = random();
    if (depth > 2 || pick < 0.3) return [1, 'a', null, true, 2.5][Math.floor(random() * 5)];
    if (pick < 0.5) return [{}, [], ''][Math.floor(random() * 3)];
    if (pick < 0.75) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i}`, value(depth + 1)]),
    );
  };
  /** Mostly the same document: some leaves and subtrees replaced, some keys dropped or added. */
  const vary = (v: unknown, depth: number): unknown => {
    if (Array.isArray(v)) return v.map((item) => vary(item, depth + 1));
    if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v).flatMap(([key, child]): Array<[string, unknown]> => {
        const pick = random();
        if (pick < 0.1) return [];
        return [[key, pick < 0.2 ? value(depth + 1) : vary(child, depth + 1)]];
      });
      if (random() < 0.1) entries.push(['added', value(depth + 1)]);
      return Object.fromEntries(entries);
    }
    return random() < 0.8 ? v : value(depth);
  };
  for (let i = 0; i < 3_000; i++) {
    const before = value(0);
    const after = random() < 0.7 ? vary(before, 0) : value(0);
    assert.deepEqual(changedPaths(before, after, 'x'), referencePaths(before, after, 'x'));
    if (isRecord(before) && isRecord(after)) {
      const diff = diffDocuments(before, after, 'x');
      assert.deepEqual(diff.paths, referencePaths(before, after, 'x'));
      assert.deepEqual(diff.patch, referencePatch(before, after));
    }
  }
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The patch by definition: the top-level keys whose values differ, and the keys removed. */
function referencePatch(previous: Record<string, unknown>, next: Record<string, unknown>) {
  return {
    set: Object.fromEntries(
      Object.entries(next).filter(
        ([key, value]) => !Object.hasOwn(previous, key) || !deepEqual(previous[key], value),
      ),
    ),
    unset: Object.keys(previous)
      .filter((key) => !Object.hasOwn(next, key))
      .sort(),
  };
}
