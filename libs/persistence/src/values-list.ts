/** Postgres takes at most 65,535 parameters in one statement. */
const MAX_PARAMETERS = 65_535;

const made = new Map<string, string>();

/**
 * The VALUES of a multi-row INSERT with one parameter per value: `($1, …, $k), ($k+1, …)`.
 * Preferred over array parameters (`unnest($1::text[])`) where values are large (documents,
 * bodies): node-postgres escapes every element of an array parameter into an array literal, and
 * Postgres parses the literal again. Made once per shape: batches come in few sizes.
 */
export function valuesList(rows: number, columns: number): string {
  const shape = `${rows}x${columns}`;
  let text = made.get(shape);
  if (text === undefined) {
    const tuples: string[] = [];
    for (let row = 0; row < rows; row++) {
      const first = row * columns;
      tuples.push(`(${Array.from({ length: columns }, (_, column) => `$${first + column + 1}`).join(', ')})`);
    }
    text = tuples.join(', ');
    if (made.size < 1_000) made.set(shape, text);
  }
  return text;
}

/** `rows` cut into chunks that each fit one statement of `columns` parameters per row. */
export function chunksForParameters<T>(rows: T[], columns: number): T[][] {
  const size = Math.floor(MAX_PARAMETERS / columns);
  const chunks: T[][] = [];
  for (let start = 0; start < rows.length; start += size) chunks.push(rows.slice(start, start + size));
  return chunks;
}
