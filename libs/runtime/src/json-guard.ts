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

/**
 * Whether a JSON text escapes half a surrogate pair (`"\ud800"` alone). JSON.parse accepts it,
 * but no Postgres json or jsonb column does, nor can UTF-8 text carry it.
 */
export function hasLoneSurrogateEscape(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (!inString) {
      inString = char === '"';
    } else if (char === '"') {
      inString = false;
    } else if (char === '\\') {
      const code = text[i + 1] === 'u' ? surrogateAt(text, i + 2) : 0;
      if (code >= 0xdc00) return true; // a low half with no high half before it
      if (code >= 0xd800) {
        if (text[i + 6] !== '\\' || text[i + 7] !== 'u' || surrogateAt(text, i + 8) < 0xdc00) return true;
        i += 6;
      }
      i++; // the escaped character; the rest of a \uXXXX escape is hex, never a quote or backslash
    }
  }
  return false;
}

/** The UTF-16 unit `\uXXXX` escapes when it is a surrogate (0xD800-0xDFFF), else 0. */
function surrogateAt(text: string, at: number): number {
  const code = Number.parseInt(text.slice(at, at + 4), 16);
  return code >= 0xd800 && code <= 0xdfff ? code : 0;
}

/**
 * A JSON body's text, or why no store downstream could take it: RFC 8259 JSON is UTF-8 (decoding
 * invalid bytes would store U+FFFD instead), no body nests deeper than MAX_JSON_DEPTH, and no string
 * holds a lone surrogate, which Postgres refuses. Through fatal UTF-8 decoding a lone surrogate can
 * only arrive as an escape, so scanning the escapes finds every one. Used by the management APIs'
 * body parser and by ingest alike.
 */
export function decodeJsonText(body: Buffer): { text: string } | { problem: string } {
  let text: string;
  try {
    text = DECODER.decode(body);
  } catch {
    return { problem: 'the body is not valid UTF-8' };
  }
  if (jsonNestingDepth(body) > MAX_JSON_DEPTH) {
    return { problem: `the body nests deeper than ${MAX_JSON_DEPTH} levels` };
  }
  if (hasLoneSurrogateEscape(text)) {
    return { problem: 'the body must not contain lone surrogates (an unpaired \\uD800-\\uDFFF)' };
  }
  return { text };
}
