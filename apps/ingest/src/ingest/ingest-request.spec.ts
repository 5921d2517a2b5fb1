import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequestException } from '@nestjs/common';
import { parseJsonObject } from './ingest-request.js';

const parse = (text: string) => parseJsonObject(Buffer.from(text, 'utf8'));

function refused(text: string, detail: RegExp): void {
  assert.throws(
    () => parse(text),
    (error: unknown) => error instanceof BadRequestException && detail.test(error.message),
  );
}

describe('parseJsonObject', () => {
  test('a plain body parses as JSON.parse parses it', () => {
    const text = '{"team":{"uid":"t1"},"projects":[{"uid":"p1","n":1.5,"ok":true,"none":null}]}';
    assert.deepEqual(parse(text), JSON.parse(text));
  });

  test('prototype keys are dropped wherever they are, written plainly or escaped', () => {
    const parsed = parse(
      '{"a":{"__proto__":{"x":1},"constructor":"c","prototype":2,"keep":3},"\\u005f_proto__":{"y":1},"s":"\\u00e9"}',
    );
    assert.deepEqual(Object.keys(parsed), ['a', 's']);
    assert.deepEqual(parsed['a'], { keep: 3 });
    assert.equal(parsed['s'], 'é');
  });

  test('a NUL is refused, an escaped backslash before u0000 is text', () => {
    refused('{"a":"x\\u0000y"}', /NUL/);
    refused('{"k\\u0000":1}', /NUL/);
    assert.deepEqual(parse('{"a":"\\\\u0000"}'), { a: '\\u0000' });
  });

  test('malformed JSON and non-objects are refused', () => {
    refused('{"a":', /not valid JSON/);
    refused('{"constructor":', /not valid JSON/);
    refused('[1,2]', /JSON object/);
    refused('"text"', /JSON object/);
  });
});
