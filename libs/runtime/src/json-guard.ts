/** Deeper than any document our APIs take; deep enough to stop recursive transforms overflowing. */
export const MAX_JSON_DEPTH = 64;

const DECODER = new TextDecoder('utf-8', { fatal: true });

/**
 * How deeply a JSON text nests arrays and objects, counted without parsing (brackets inside strings
 * do not count). A body of 10,000 nested levels parses fine but overflows the stack of every
 * recursive step after it (class-transformer, class-validator): a 500 instead of a 400.
 */
export function jsonNestingDepth(text: Buffer | string): number {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return deepest;
}

/** A client error body-parser passes on with its status (the problem filter answers with it). */
class JsonBodyError extends Error {
  readonly status = 400;
  readonly expose = true;
}

/**
 * body-parser's `verify` for the management APIs' JSON: RFC 8259 JSON is UTF-8, and body-parser
 * would otherwise decode invalid bytes into U+FFFD and store them; and no body nests deeper than
 * MAX_JSON_DEPTH.
 */
export function verifyJsonBody(_request: unknown, _response: unknown, body: Buffer): void {
  try {
    DECODER.decode(body);
  } catch {
    throw new JsonBodyError('the body is not valid UTF-8');
  }
  if (jsonNestingDepth(body) > MAX_JSON_DEPTH) {
    throw new JsonBodyError(`the body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
}
