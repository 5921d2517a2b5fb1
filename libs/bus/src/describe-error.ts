/**
 * One line of text for an error a transport caught, for logs and `BusUnavailableError` messages:
 * an `AggregateError` (what `pg` and `net` raise when every address of a host refused) lists
 * each of its errors, since its own message is often empty.
 */
export function describe(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(describe).join('; ');
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
