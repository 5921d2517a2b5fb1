import pg from 'pg';
import { unique } from '../../test/support/collector.js';
import { now } from './workload.js';
import { benchEvents, type ProjectorWorkload } from './projector-workload.js';

export interface CeilingFigures {
  rows: number;
  inFlight: number;
  seconds: number;
  rowsPerSecond: number;
}

/**
 * What Postgres alone does with rows like the projector's: a plain pg Pool, one unnest INSERT of
 * `batchSize` rows per statement into a throwaway table (tenant uuid, id text, document json as the read models keep it,
 * no keys or indexes), `inFlight` statements at once. The documents are the run's own event
 * payloads, serialised before the clock starts, so only Postgres is timed.
 */
export async function measureInsertCeiling(
  databaseUrl: string,
  tenant: string,
  workload: ProjectorWorkload,
  inFlight: number,
): Promise<CeilingFigures> {
  const batches: Array<{ ids: string[]; documents: string[] }> = [];
  for (let first = 0; first < workload.events; first += workload.batchSize) {
    const events = benchEvents(
      tenant,
      first,
      Math.min(workload.events, first + workload.batchSize),
      workload.projects,
    );
    const parsed = events.map(
      (event) => JSON.parse(String(event.value)) as { subject: string; data: unknown },
    );
    batches.push({
      ids: parsed.map((event) => event.subject),
      documents: parsed.map((event) => JSON.stringify(event.data)),
    });
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: inFlight,
    application_name: 'bench-ceiling',
  });
  // An idle connection ended by the server (the database dropped with FORCE right after this
  // run) is not a failure of the measurement; without a listener it would crash the process.
  pool.on('error', () => undefined);
  const table = unique('bench_ceiling').replace('-', '_');
  try {
    await pool.query(
      `CREATE TABLE ${table} (tenant_id uuid NOT NULL, id text NOT NULL, document json NOT NULL)`,
    );
    const insert = async (batch: { ids: string[]; documents: string[] }) => {
      await pool.query(
        `INSERT INTO ${table} (tenant_id, id, document) SELECT $1::uuid, m.id, m.document
           FROM unnest($2::text[], $3::json[]) AS m(id, document)`,
        [tenant, batch.ids, batch.documents],
      );
    };
    // Warm-up: opens the connections and plans the statement before the clock starts.
    const warmUp = batches[0];
    if (warmUp) await Promise.all(Array.from({ length: inFlight }, () => insert(warmUp)));
    await pool.query(`TRUNCATE ${table}`);

    const start = now();
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        if (batch) await insert(batch);
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, batches.length) }, worker));
    const seconds = (now() - start) / 1000;
    return { rows: workload.events, inFlight, seconds, rowsPerSecond: workload.events / seconds };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pool.end().catch(() => undefined);
  }
}
