import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { affectedBy, batchTransaction, defineQuery, execute, rowsOf } from '@hub/persistence';
import { stopEmbeddedTestServer } from '../support/database.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';

/** The typed boundary reads every shape TypeORM's postgres driver returns, on a real Postgres. */
after(stopEmbeddedTestServer);

describe('typed queries', () => {
  let db: MediumDatabase;
  before(async () => {
    db = await openMediumDatabase();
    await execute(db.dataSource, defineQuery('CREATE TABLE pairs (id int PRIMARY KEY, name text NOT NULL)'));
  });
  after(() => db?.close());

  test('a SELECT, an INSERT … RETURNING and a statement without rows', async () => {
    const inserted = await rowsOf(
      db.dataSource,
      defineQuery<{ id: number }, [number, string, number, string]>(
        'INSERT INTO pairs VALUES ($1, $2), ($3, $4) RETURNING id',
      ),
      [1, 'one', 2, 'two'],
    );
    assert.deepEqual(inserted, [{ id: 1 }, { id: 2 }]);
    await execute(db.dataSource, defineQuery('INSERT INTO pairs VALUES ($1, $2)'), [3, 'three']);
    const rows = await rowsOf(
      db.dataSource,
      defineQuery<{ id: number; name: string }>('SELECT id, name FROM pairs WHERE id >= $1 ORDER BY id'),
      [2],
    );
    assert.deepEqual(rows, [
      { id: 2, name: 'two' },
      { id: 3, name: 'three' },
    ]);
    assert.deepEqual(
      await rowsOf(db.dataSource, defineQuery<{ id: number }>('SELECT id FROM pairs WHERE false')),
      [],
    );
  });

  test('an UPDATE or DELETE gives its count, also when nothing matched', async () => {
    assert.equal(
      await affectedBy(db.dataSource, defineQuery('UPDATE pairs SET name = upper(name) WHERE id <= $1'), [2]),
      2,
    );
    assert.deepEqual(
      await rowsOf(
        db.dataSource,
        defineQuery<{ name: string }>('SELECT name FROM pairs WHERE id <= 2 ORDER BY id'),
      ),
      [{ name: 'ONE' }, { name: 'TWO' }],
    );
    assert.equal(
      await affectedBy(db.dataSource, defineQuery('UPDATE pairs SET name = $1 WHERE false'), ['x']),
      0,
    );
    assert.equal(await affectedBy(db.dataSource, defineQuery('DELETE FROM pairs WHERE id = $1'), [3]), 1);
    assert.equal(await affectedBy(db.dataSource, defineQuery('DELETE FROM pairs WHERE id = $1'), [3]), 0);
  });

  test('rows of an UPDATE … RETURNING come back as rows, not as [rows, count]', async () => {
    const rows = await rowsOf(
      db.dataSource,
      defineQuery<{ id: number }>('UPDATE pairs SET name = name WHERE id = 1 RETURNING id'),
    );
    assert.deepEqual(rows, [{ id: 1 }]);
  });

  test('inside a transaction, through its EntityManager', async () => {
    const count = await db.dataSource.transaction(async (manager) => {
      await execute(manager, defineQuery('INSERT INTO pairs VALUES ($1, $2)'), [10, 'ten']);
      const [row] = await rowsOf(manager, defineQuery<{ n: number }>('SELECT count(*)::int AS n FROM pairs'));
      return row?.n;
    });
    assert.equal(count, 3);
  });

  test('asking an INSERT for the rows it changed is refused before it runs', async () => {
    await assert.rejects(
      affectedBy(db.dataSource, defineQuery('INSERT INTO pairs VALUES (20, $1)'), ['x']),
      /only UPDATE and DELETE/,
    );
    const [row] = await rowsOf(
      db.dataSource,
      defineQuery<{ n: number }>('SELECT count(*)::int AS n FROM pairs WHERE id = 20'),
    );
    assert.equal(row?.n, 0);
  });

  test('in a transaction a statement with parameters is prepared once per connection, by its name', async () => {
    const byId = defineQuery<{ name: string }, [number]>('SELECT name FROM pairs WHERE id = $1');
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      assert.deepEqual(await rowsOf(runner, byId, [1]), [{ name: 'ONE' }]);
      assert.deepEqual(await rowsOf(runner, byId, [2]), [{ name: 'TWO' }]);
      assert.equal(
        await affectedBy(runner, defineQuery('UPDATE pairs SET name = $1 WHERE id = $2'), ['Two', 2]),
        1,
      );
      const prepared = await rowsOf(
        runner,
        defineQuery<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name'),
      );
      assert.ok(
        prepared.some(({ name }) => name === byId.name),
        JSON.stringify(prepared),
      );
      // A statement of many parameters (a large multi-row INSERT's shape) is not kept.
      const wide = defineQuery<{ n: number }>(
        `SELECT ${Array.from({ length: 65 }, (_, i) => `$${i + 1}::int`).join(' + ')} AS n`,
      );
      assert.deepEqual(
        await rowsOf(
          runner,
          wide,
          Array.from({ length: 65 }, () => 1),
        ),
        [{ n: 65 }],
      );
      const kept = await rowsOf(
        runner,
        defineQuery<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE name = $1'),
        [wide.name],
      );
      assert.deepEqual(kept, []);
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
  });

  test('a batch transaction keeps one generic plan per statement; the connection comes back on the default', async () => {
    // Arrays make Postgres's default (auto) choose a custom plan for every call: what batchTransaction avoids.
    const planned = (text: string) =>
      defineQuery<{ generic_plans: string; custom_plans: string }>(
        `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = '${text}'`,
      );
    const byIds = (tag: string) =>
      defineQuery<{ name: string }, [number[]]>(
        `SELECT name FROM pairs WHERE id IN (SELECT * FROM unnest($1::int[])) /* ${tag} */`,
      );
    const inBatch = byIds('batch');
    const batchPlans = await batchTransaction(db.dataSource, async (manager) => {
      for (let i = 0; i < 8; i++) assert.equal((await rowsOf(manager, inBatch, [[1, 2]])).length, 2);
      return rowsOf(manager, planned(inBatch.text));
    });
    assert.deepEqual(batchPlans, [{ generic_plans: '8', custom_plans: '0' }]);

    const plain = byIds('plain');
    const plainPlans = await db.dataSource.transaction(async (manager) => {
      for (let i = 0; i < 8; i++) assert.equal((await rowsOf(manager, plain, [[1, 2]])).length, 2);
      return rowsOf(manager, planned(plain.text));
    });
    assert.equal(plainPlans.length, 1);
    assert.ok(Number(plainPlans[0]!.custom_plans) >= 5, JSON.stringify(plainPlans));

    // Every pooled connection, the batch's among them, is back on the default.
    const runners = Array.from({ length: 4 }, () => db.dataSource.createQueryRunner());
    try {
      const modes = await Promise.all(
        runners.map(async (runner) => {
          await runner.connect();
          return rowsOf(runner, defineQuery<{ plan_cache_mode: string }>('SHOW plan_cache_mode'));
        }),
      );
      assert.deepEqual(
        modes.map(([row]) => row?.plan_cache_mode),
        ['auto', 'auto', 'auto', 'auto'],
      );
    } finally {
      await Promise.all(runners.map((runner) => runner.release()));
    }
  });

  test('a prepared SELECT * whose table gained a column is prepared again, never left failing', async () => {
    await execute(db.dataSource, defineQuery('CREATE TABLE growing (id int PRIMARY KEY)'));
    await execute(db.dataSource, defineQuery('INSERT INTO growing VALUES (1)'));
    const all = defineQuery<Record<string, unknown>, [number]>('SELECT * FROM growing WHERE id = $1');
    const runner = db.dataSource.createQueryRunner();
    try {
      assert.deepEqual(await rowsOf(runner, all, [1]), [{ id: 1 }]);
      // Another process migrates while this one runs.
      await execute(db.dataSource, defineQuery("ALTER TABLE growing ADD COLUMN note text DEFAULT 'n'"));
      // Outside a transaction the call is retried under a new name at once.
      assert.deepEqual(await rowsOf(runner, all, [1]), [{ id: 1, note: 'n' }]);
      await execute(db.dataSource, defineQuery('ALTER TABLE growing ADD COLUMN more int DEFAULT 2'));
      // Inside one the transaction is lost (its owner retries it); the next one works.
      await runner.startTransaction();
      await assert.rejects(rowsOf(runner, all, [1]), /cached plan must not change result type/);
      await runner.rollbackTransaction();
      await runner.startTransaction();
      assert.deepEqual(await rowsOf(runner, all, [1]), [{ id: 1, note: 'n', more: 2 }]);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
  });
});
