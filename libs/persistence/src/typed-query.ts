/**
 * A typed boundary over raw SQL. TypeORM's `query()` returns `any`; here each statement declares
 * the type of its rows (and, where it helps, of its parameters) once, beside its text, and
 * `resultOf` below is the only place that reads what the driver returned.
 *
 * Nothing is checked per row at run time: the row type is a promise the SQL makes (columns named
 * as the SQL returns them, snake_case or aliased), and the medium tests hold the SQL to it against
 * a real Postgres.
 */

/** One SQL statement with the rows it returns; `Row` left as never: it returns none. */
export interface Query<Row extends object = never, Params extends readonly unknown[] = readonly unknown[]> {
  readonly text: string;
  /** Carries the row and parameter types; never set. */
  readonly types?: { row: Row; params: Params };
}

/** Anything that runs SQL the TypeORM way: a DataSource, a transaction's EntityManager, a QueryRunner. */
export interface Queryable {
  query(text: string, parameters?: unknown[]): Promise<unknown>;
}

/** Declares a statement: `defineQuery<{ id: string }>('SELECT id FROM t WHERE tenant_id = $1')`. */
export function defineQuery<
  Row extends object = never,
  Params extends readonly unknown[] = readonly unknown[],
>(text: string): Query<Row, Params> {
  return { text };
}

/** The rows of a SELECT, an INSERT … RETURNING, or an UPDATE / DELETE … RETURNING. */
export async function rowsOf<Row extends object, Params extends readonly unknown[]>(
  db: Queryable,
  query: Query<Row, Params>,
  ...params: OptionalParams<Params>
): Promise<Row[]> {
  return resultOf<Row>(await run(db, query, params)).rows;
}

/** Postgres reports a count of changed rows only for these commands (the statement's first word). */
const COUNTED_COMMAND = /^\s*(UPDATE|DELETE)\b/i;

/**
 * How many rows an UPDATE or DELETE changed. Any other statement is a programming error, refused
 * before it runs: Postgres would report no count for it.
 */
export async function affectedBy<Params extends readonly unknown[]>(
  db: Queryable,
  query: Query<never, Params>,
  ...params: OptionalParams<Params>
): Promise<number> {
  if (!COUNTED_COMMAND.test(query.text))
    throw new Error(`only UPDATE and DELETE report the rows they changed: ${query.text.slice(0, 60)}`);
  const { affected } = resultOf<never>(await run(db, query, params));
  if (affected === undefined)
    throw new Error('the database driver returned no count for an UPDATE or DELETE');
  return affected;
}

/** Runs a statement for its effect alone (DDL, a lock, an INSERT or UPDATE whose rows nobody reads). */
export async function execute<Params extends readonly unknown[]>(
  db: Queryable,
  query: Query<object, Params>,
  ...params: OptionalParams<Params>
): Promise<void> {
  await run(db, query, params);
}

/** Parameters may be left out only by a statement that declares none. */
type OptionalParams<Params extends readonly unknown[]> = readonly [] extends Params
  ? [params?: Params]
  : [params: Params];

function run(db: Queryable, query: Query<object, readonly unknown[]>, params: [unknown?]): Promise<unknown> {
  // The driver only reads the array; typed as mutable in TypeORM's signature alone.
  const values = params[0] as unknown[] | undefined;
  return values === undefined ? db.query(query.text) : db.query(query.text, values);
}

/**
 * The one place that knows TypeORM's postgres driver: it returns `result.rows` for every command
 * except UPDATE and DELETE, for which it returns `[rows, rowCount]` (PostgresQueryRunner.query).
 * A row is always an object, never an array, so the two shapes cannot be mistaken for each other.
 */
function resultOf<Row>(raw: unknown): { rows: Row[]; affected: number | undefined } {
  if (!Array.isArray(raw)) throw new Error('the database driver returned no rows array');
  if (raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number')
    return { rows: raw[0] as Row[], affected: raw[1] };
  return { rows: raw as Row[], affected: undefined };
}
