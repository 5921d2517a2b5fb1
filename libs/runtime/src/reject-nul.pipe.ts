import { BadRequestException, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';

const NUL = '\u0000';
/** Deeper than any document our APIs take; body-parser and JSON.parse already bound the size. */
const MAX_DEPTH = 64;
const LABELS = { body: 'the body', query: 'the query', param: 'the path' } as const;

/**
 * Postgres text and jsonb cannot hold U+0000, so a NUL in an id, a filter or a body field would
 * reach the database and fail there as a 500. Every path parameter, query value and JSON body is
 * checked at the edge instead, and such a request is a 400 that says why.
 */
@Injectable()
export class RejectNulCharactersPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    if (containsNul(value, 0)) {
      throw new BadRequestException(`${LABELS[metadata.type]} must not contain NUL (U+0000) characters`);
    }
    return value;
  }
}

function containsNul(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return false;
  // Too deep to be one of our documents: the DTO validation refuses it anyway.
  if (depth > MAX_DEPTH) return false;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes(NUL) || containsNul(item, depth + 1)) return true;
  }
  return false;
}
