/**
 * A typed boundary over raw SQL. TypeORM's `query()` returns `any`; here each statement declares
 * the type of its rows (and, where it helps, of its parameters) once, beside its text, and
 * `resultOf` and `runPrepared` below are the only places that read what a driver returned.
 *
 * Nothing is checked per row at run time: the row type is a promise the SQL makes (columns named
 * as the SQL returns them, snake_case or aliased), and the medium tests hold the SQL to it against
 * a real Postgres.
 *
 * A statement with parameters run on a transaction's connection is a named prepared statement
 * (docs/adr/0018-prepared-statements.md): Postgres parses it once per connection and may keep its
 * plan, where an unnamed one is parsed and planned on every call.
 */
import { createHash } from 'node:crypto';
import type { QueryResult } from 'pg';

/** One SQL statement with the rows it returns; `Row` left as never: it returns none. */
export interface Query<Row extends object = never, Params extends readonly unknown[] = readonly unknown[]> {
  readonly text: string;
  /** Its prepared statement's name on every connection: derived from the text, so unique to it. */
  readonly name: string;
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
  return { text, name: statementName(text) };
}

/** Names by text: many statements are declared where they run, so each text is hashed once. */
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `hub_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The rows of a SELECT, an INSERT … RETURNING, or an UPDATE / DELETE … RETURNING. */
export async function rowsOf<Row extends object, Params extends readonly unknown[]>(
  db: Queryable,
  query: Query<Row, Params>,
  ...params: OptionalParams<Params>
): Promise<Row[]> {
  return (await run<Row>(db, query, params)).rows;
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
  const { affected } = await run<never>(db, query, params);
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

/** What a statement returned: its rows, and for an UPDATE or DELETE how many rows it changed. */
interface Outcome<Row> {
  rows: Row[];
  affected: number | undefined;
}

async function run<Row>(
  db: Queryable,
  query: Query<object, readonly unknown[]>,
  params: [unknown?],
): Promise<Outcome<Row>> {
  // The driver only reads the array; typed as mutable in TypeORM's signature alone.
  const values = params[0] as unknown[] | undefined;
  const connection = transactionConnectionOf(db);
  if (connection && isPreparable(values)) return runPrepared<Row>(connection, query, values);
  return resultOf<Row>(
    values === undefined ? await db.query(query.text) : await db.query(query.text, values),
  );
}

/**
 * Most parameters of a statement that is prepared. A multi-row INSERT's text differs with its
 * row count (valuesList), and each text prepared stays in every connection's backend for the
 * connection's life: above this the shapes are many and large, and their parse is a small part
 * of their cost, so they run unnamed as before. Without parameters a text may hold several
 * statements, which a prepared statement cannot.
 */
const MAX_PREPARED_PARAMETERS = 64;

function isPreparable(values: unknown[] | undefined): values is unknown[] {
  return values !== undefined && values.length <= MAX_PREPARED_PARAMETERS;
}

/** The part of a TypeORM query runner this needs: its pg connection, and whether it is in a transaction. */
interface ConnectionHolder {
  connect(): Promise<PgConnection>;
  readonly isTransactionActive: boolean;
  readonly isReleased: boolean;
}

interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<QueryResult>;
}

/**
 * The pg connection a transaction runs on, when `db` is a TypeORM query runner or a transaction's
 * entity manager: the connection `query()` would have used. A DataSource (a pooled connection per
 * call) gets none: it goes through TypeORM as before.
 */
function transactionConnectionOf(db: Queryable): ConnectionHolder | undefined {
  if (isConnectionHolder(db)) return db;
  const runner = (db as { queryRunner?: unknown }).queryRunner;
  return isConnectionHolder(runner) ? runner : undefined;
}

function isConnectionHolder(value: unknown): value is ConnectionHolder {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { connect?: unknown }).connect === 'function' &&
    typeof (value as { isTransactionActive?: unknown }).isTransactionActive === 'boolean' &&
    // A released runner's connection is back in the pool: TypeORM's own query() refuses it.
    (value as { isReleased?: unknown }).isReleased === false
  );
}

/**
 * Prepared statements of a text whose result columns changed under it (a `SELECT *` after a
 * migration added a column, while this process ran) fail with this; the statement is then
 * prepared again under a new name. A transaction it failed in is lost, and its owner retries it
 * as after any failed statement; outside one, the call is retried at once.
 */
const RESULT_TYPE_CHANGED = 'cached plan must not change result type';
const generations = new Map<string, number>();

async function runPrepared<Row>(
  holder: ConnectionHolder,
  query: Query<object, readonly unknown[]>,
  values: unknown[],
): Promise<Outcome<Row>> {
  const connection = await holder.connect();
  const attempt = () => connection.query({ name: preparedName(query), text: query.text, values });
  let result: QueryResult;
  try {
    result = await attempt();
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes(RESULT_TYPE_CHANGED)) throw error;
    generations.set(query.name, (generations.get(query.name) ?? 0) + 1);
    if (holder.isTransactionActive) throw error;
    result = await attempt();
  }
  const counted = result.command === 'UPDATE' || result.command === 'DELETE';
  return { rows: result.rows as Row[], affected: counted ? (result.rowCount ?? 0) : undefined };
}

function preparedName(query: Query<object, readonly unknown[]>): string {
  const generation = generations.get(query.name) ?? 0;
  return generation === 0 ? query.name : `${query.name}_${generation}`;
}

/**
 * A connection of the caller's own (a pg client it holds, outside TypeORM's pool) as something
 * `rowsOf`, `affectedBy` and `execute` run on: its statements with parameters run as named
 * prepared statements, as on a transaction's connection.
 */
export function onOwnConnection(
  client: PgConnection & { query(text: string, values?: unknown[]): Promise<QueryResult> },
): Queryable {
  const holder: Queryable & ConnectionHolder = {
    connect: async () => client,
    isTransactionActive: false,
    isReleased: false,
    query: async (text, values) => {
      const result = await client.query(text, values);
      return COUNTED_COMMAND.test(text) ? [result.rows, result.rowCount ?? 0] : result.rows;
    },
  };
  return holder;
}

/**
 * The one place that knows TypeORM's postgres driver: it returns `result.rows` for every command
 * except UPDATE and DELETE, for which it returns `[rows, rowCount]` (PostgresQueryRunner.query).
 * A row is always an object, never an array, so the two shapes cannot be mistaken for each other.
 */
function resultOf<Row>(raw: unknown): Outcome<Row> {
  if (!Array.isArray(raw)) throw new Error('the database driver returned no rows array');
  if (raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number')
    return { rows: raw[0] as Row[], affected: raw[1] };
  return { rows: raw as Row[], affected: undefined };
}
