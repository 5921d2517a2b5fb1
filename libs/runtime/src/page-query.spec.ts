import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequestException } from '@nestjs/common';
import { decodeCursor, encodeCursor, pageOf } from './page-query.js';

const ID = /^src_[A-Za-z0-9_-]{1,64}$/;
const SEQ = /^\d{1,18}$/;

describe('page cursors', () => {
  test('a cursor gives back the key it was made of, every part checked against its shape', () => {
    const cursor = encodeCursor(['2026-01-01T00:00:00.000001Z', 'evt_1']);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(cursor, [/^\d{4}-/, /^evt_/]), ['2026-01-01T00:00:00.000001Z', 'evt_1']);
  });

  test("another list's cursor, a made-up one and the formats of earlier versions are a 400", () => {
    const refused = [
      encodeCursor(['123']), // a sequence where an id is expected
      encodeCursor(['src_a', 'src_b']), // one part too many
      encodeCursor(['src_\u0000']), // Postgres text cannot hold U+0000
      Buffer.from('{"id":"src_a"}').toString('base64url'), // JSON, not an array
      Buffer.from('opensolar:1').toString('base64url'), // the projector's old cursor
      'src_abc', // the sources' old cursor: the id itself
      '12', // the delivery log's old cursor: a bare sequence number
    ];
    for (const cursor of refused)
      assert.throws(() => decodeCursor(cursor, [ID]), BadRequestException, cursor);
    assert.throws(() => decodeCursor(encodeCursor([1 as unknown as string]), [SEQ]), BadRequestException);
  });
});

describe('pageOf', () => {
  const rows = [{ seq: '3' }, { seq: '2' }, { seq: '1' }];

  test('the row beyond the limit only says a next page follows, from the last row shown', () => {
    const page = pageOf(
      rows,
      2,
      (row) => [row.seq],
      (row) => Number(row.seq),
    );
    assert.deepEqual(page.data, [3, 2]);
    assert.deepEqual(decodeCursor(page.next_cursor!, [SEQ]), ['2']);
  });

  test('the last page has no next cursor', () => {
    assert.deepEqual(
      pageOf(
        rows,
        3,
        (row) => [row.seq],
        (row) => row.seq,
      ),
      { data: ['3', '2', '1'], next_cursor: null },
    );
  });
});
