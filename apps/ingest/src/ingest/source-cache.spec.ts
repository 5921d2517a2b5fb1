import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type { ResolvedSource, SourceService } from '../sources/source.service.js';
import { SourceCache } from './source-cache.js';

const SOURCE: ResolvedSource = {
  tenantId: '00000000-0000-4000-8000-000000000001',
  id: 'src_cached',
  provider: 'pylon-observer',
  verification: 'signature',
  settings: {},
  secret: 'secret',
};

/**
 * Which requests arrive while a lookup is still running cannot be arranged against a real
 * database, so a stand-in service answers each lookup when the test says; the real lookup is
 * covered by the ingest tests against Postgres.
 */
function heldLookups() {
  const pending: Array<{
    ids: readonly string[];
    resolve: (source: ResolvedSource | null) => void;
    reject: (e: Error) => void;
  }> = [];
  const service = {
    resolveAllForIngest: (ids: readonly string[]) =>
      new Promise<Array<ResolvedSource | null>>((resolve, reject) =>
        pending.push({ ids, resolve: (source) => resolve(ids.map(() => source)), reject }),
      ),
  } as unknown as SourceService;
  return { service, pending };
}

/** DataLoader sends a turn's lookups once the turn's promise jobs have run. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A cache that has looked SOURCE up once, at the mocked clock's start. */
async function withSourceCached() {
  const { service, pending } = heldLookups();
  const cache = new SourceCache(service);
  const first = cache.get(SOURCE.id);
  await nextTurn();
  pending[0]!.resolve(SOURCE);
  await first;
  return { cache, pending };
}

describe('source cache', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  test('requests that miss while a lookup runs share it: one query, one answer', async () => {
    const { service, pending } = heldLookups();
    const cache = new SourceCache(service);
    const answers = Array.from({ length: 50 }, () => cache.get(SOURCE.id));
    await nextTurn();
    assert.equal(pending.length, 1);
    assert.deepEqual(pending[0]!.ids, [SOURCE.id]);
    pending[0]!.resolve(SOURCE);
    for (const answer of await Promise.all(answers)) assert.equal(answer, SOURCE);
    assert.equal(await cache.get(SOURCE.id), SOURCE, 'cached now');
    assert.equal(pending.length, 1);
  });

  test('the sources asked for in one turn are looked up in one query', async () => {
    const { service, pending } = heldLookups();
    const cache = new SourceCache(service);
    const ids = ['src_a', 'src_b', 'src_c'];
    const answers = ids.flatMap((id) => [cache.get(id), cache.get(id)]);
    await nextTurn();
    assert.equal(pending.length, 1);
    assert.deepEqual(pending[0]!.ids, ids, 'each id once');
    pending[0]!.resolve(SOURCE);
    assert.equal((await Promise.all(answers)).length, 6);
  });

  test('a source in use is read again before it expires, once, while the cached one is served', async () => {
    const { cache, pending } = await withSourceCached();
    mock.timers.tick(700);
    assert.equal(await cache.get(SOURCE.id), SOURCE);
    assert.equal(pending.length, 1, 'not yet near expiry');
    mock.timers.tick(100);
    const during = await Promise.all(Array.from({ length: 20 }, () => cache.get(SOURCE.id)));
    assert.ok(
      during.every((answer) => answer === SOURCE),
      'served from the entry, without waiting',
    );
    await nextTurn();
    assert.equal(pending.length, 2, 'one refresh for all of them');
    const changed = { ...SOURCE, secret: 'rotated' };
    pending[1]!.resolve(changed);
    await nextTurn();
    mock.timers.tick(300);
    assert.equal(await cache.get(SOURCE.id), changed, "the refreshed entry, past the first one's expiry");
    assert.equal(pending.length, 2);
  });

  test('no entry is served past its second: an expired one waits for the lookup', async () => {
    const { cache, pending } = await withSourceCached();
    mock.timers.tick(1_000);
    let answered: ResolvedSource | null | undefined;
    const after = cache.get(SOURCE.id).then((answer) => (answered = answer));
    await nextTurn();
    assert.equal(answered, undefined, 'waits for the database');
    pending[1]!.resolve(null);
    await after;
    assert.equal(answered, null, 'the deleted source is gone');
  });

  test('a failed refresh keeps the entry until it expires; after it, the last known source is served', async () => {
    const { cache, pending } = await withSourceCached();
    mock.timers.tick(800);
    assert.equal(await cache.get(SOURCE.id), SOURCE);
    await nextTurn();
    pending[1]!.reject(new Error('connection refused'));
    await nextTurn();
    assert.equal(await cache.get(SOURCE.id), SOURCE);
    await nextTurn();
    assert.equal(pending.length, 3, 'still near expiry: tried again');
    pending[2]!.reject(new Error('connection refused'));
    await nextTurn();
    mock.timers.tick(300);
    const expired = cache.get(SOURCE.id);
    await nextTurn();
    assert.equal(pending.length, 4);
    pending[3]!.reject(new Error('connection refused'));
    assert.equal(await expired, SOURCE, 'the database is unreachable: the last known answer');
  });

  test('an unknown source is an error while the database is unreachable and nothing was known', async () => {
    const { service, pending } = heldLookups();
    const cache = new SourceCache(service);
    const answer = cache.get('src_unknown');
    await nextTurn();
    pending[0]!.reject(new Error('connection refused'));
    await assert.rejects(answer, /connection refused/);
  });
});
