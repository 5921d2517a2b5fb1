import { BadRequestException } from '@nestjs/common';

const DECODER = new TextDecoder('utf-8', { fatal: true });

/** JSON media types: application/json and any application/*+json, with or without parameters. */
export function isJsonContentType(header: string | undefined): boolean {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * The raw body as a JSON object. Invalid UTF-8, malformed JSON and non-objects are 400s; `__proto__`
 * keys are dropped so no later step can be tricked into touching a prototype.
 */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = DECODER.decode(body);
  } catch {
    throw new BadRequestException('the body is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
  } catch (error) {
    throw new BadRequestException(`the body is not valid JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestException('the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
