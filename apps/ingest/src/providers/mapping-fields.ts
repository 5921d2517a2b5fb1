import { UnmappableDelivery } from './provider.js';

// Helpers the providers' mappings share to read the fields of a verified body.

export function unmappable(reason: string): UnmappableDelivery {
  return new UnmappableDelivery(reason);
}

/** Fields a mapping does not map stay with the event, so nothing the provider sent is lost. */
export function unmapped(
  record: Record<string, unknown>,
  mapped: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !mapped.includes(key)));
}

/**
 * An id the provider gave, as text. A JSON number beyond 2^53 (or with a fraction) was already
 * rounded by the parser: two ids could become one, so the delivery is unmapped instead.
 */
export function optionalId(value: unknown, field: string): string | null {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw unmappable(
      `${field} is a JSON number that cannot be kept exact (not a safe integer); send ids as strings`,
    );
  }
  return optionalString(value);
}

export function requiredId(value: unknown, field: string, missing = `${field} is required`): string {
  const id = optionalId(value, field);
  if (!id) throw unmappable(missing);
  return id;
}

/** The first of `names` in `record` that holds an id (`prefix` names the record in reasons). */
export function firstId(record: Record<string, unknown>, names: string[], prefix = ''): string | null {
  for (const name of names) {
    const id = optionalId(record[name], `${prefix}${name}`);
    if (id) return id;
  }
  return null;
}

export function optionalString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
