import { BadRequestException } from '@nestjs/common';
import { decodeJsonText } from '@hub/runtime';

/**
 * Dropped wherever they occur, as Nest's ValidationPipe does for the management APIs: a nested
 * `"constructor": "x"` made class-transformer throw a TypeError (a 500) on a validly signed body.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** JSON media types: application/json and any application/*+json, with or without parameters. */
export function isJsonContentType(header: string | undefined): boolean {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * The raw body as a JSON object. What no store could take (invalid UTF-8, nesting deeper than the
 * runtime allows, lone surrogates) is refused by the runtime's one check, as for the management
 * APIs; malformed JSON, NUL characters and non-objects are 400s too. `__proto__`, `constructor` and
 * `prototype` keys are dropped so no later step can be tricked into touching a prototype.
 */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  const decoded = decodeJsonText(body);
  if ('problem' in decoded) throw new BadRequestException(decoded.problem);
  const parsed = mayHoldWhatIsDropped(decoded.text) ? parseDropping(decoded.text) : parseAsIs(decoded.text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestException('the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * A NUL or a prototype key can only be in the parsed value if the text holds a `\u` escape or one
 * of the keys' names. Most bodies hold neither, and JSON.parse without a reviver is twice as fast
 * (a one-project Pylon Observer batch: 2.5 µs with the UTF-8 check, 5.4 µs parsing with the reviver).
 */
function mayHoldWhatIsDropped(text: string): boolean {
  return (
    text.includes('\\u') ||
    text.includes('__proto__') ||
    text.includes('constructor') ||
    text.includes('prototype')
  );
}

function parseAsIs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw notJson(error);
  }
}

function parseDropping(text: string): unknown {
  let parsed: unknown;
  let nul = false;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) nul = true;
      return PROTOTYPE_KEYS.has(key) ? undefined : value;
    });
  } catch (error) {
    throw notJson(error);
  }
  // Postgres text and jsonb cannot hold U+0000: such an event would fail every store downstream
  // (on the Postgres log already the publish, answered 503 so the provider retried it for ever).
  if (nul) throw new BadRequestException('the body must not contain NUL (U+0000) characters');
  return parsed;
}

function notJson(error: unknown): BadRequestException {
  return new BadRequestException(`the body is not valid JSON: ${(error as Error).message}`);
}
