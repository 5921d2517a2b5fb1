import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequestException } from '@nestjs/common';
import { CURSOR_POSITION, containsPattern, isCursorPosition } from './list-keys.js';
import { decodeCursor, encodeCursor } from './page-query.js';

describe('list keys', () => {
  test('a cursor position is a real time to the microsecond, as Postgres wrote it', () => {
    for (const good of [
      '2026-01-01T00:00:00.000001Z',
      '0001-01-01T00:00:00.000000Z',
      '2024-02-29T23:59:59.999999Z',
    ])
      assert.ok(isCursorPosition(good), good);
    for (const bad of [
      '2026-13-40T25:61:61.000000Z', // the shape, no time
      '2026-02-30T00:00:00.000000Z', // Date would roll it into March
      '2025-02-29T00:00:00.000000Z',
      '2026-01-01T24:00:00.000000Z',
      '0000-01-01T00:00:00.000000Z',
      '2026-01-01T00:00:00.000Z',
      '2026-01-01 00:00:00.000000Z',
    ])
      assert.equal(isCursorPosition(bad), false, bad);
  });

  test('a crafted position in a cursor is a 400, before any query', () => {
    const cursor = encodeCursor(['2026-13-40T25:61:61.000000Z', 'evt_1']);
    assert.throws(() => decodeCursor(cursor, [CURSOR_POSITION, /^evt_/]), BadRequestException);
    const good = encodeCursor(['2026-12-05T00:00:00.123456Z', 'evt_1']);
    assert.deepEqual(decodeCursor(good, [CURSOR_POSITION, /^evt_/]), [
      '2026-12-05T00:00:00.123456Z',
      'evt_1',
    ]);
  });

  test('a search pattern takes wildcards literally', () => {
    assert.equal(containsPattern('50%_off\\'), '%50\\%\\_off\\\\%');
  });
});
