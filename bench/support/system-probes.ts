import { readFile } from 'node:fs/promises';
import { withClient } from '../../test/support/database.js';

/** Resident memory of a process in MiB (VmRSS), undefined once it is gone. */
export async function residentMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : undefined;
}

/** Samples each named process's RSS every second until stopped; keeps the maximum and the last. */
export class RssSampler {
  readonly max: Record<string, number> = {};
  readonly last: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;

  start(pids: Record<string, number>): void {
    const sample = async () => {
      for (const [name, pid] of Object.entries(pids)) {
        const mib = await residentMiB(pid);
        if (mib === undefined) continue;
        this.last[name] = mib;
        this.max[name] = Math.max(this.max[name] ?? 0, mib);
      }
    };
    void sample();
    this.timer = setInterval(() => void sample(), 1_000);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Rows inserted, updated and deleted in one database so far (pg_stat_database). */
export async function rowsWritten(databaseUrl: string): Promise<number> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ written: string }>(
      `SELECT tup_inserted + tup_updated + tup_deleted AS written
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    return Number(rows[0]?.written ?? 0);
  });
}

/** When each stage saw one webhook's change, epoch ms, read from the tables the apps write. */
export interface StageTimes {
  /** entity_history.applied_at: the projector's transaction start (Postgres now()). */
  applied: number;
  /** deliveries.created_at: the dispatcher's matching transaction start. */
  matched: number;
  /** The first delivery_attempts.attempted_at: when the dispatcher sent it. */
  attempted?: number;
}

/**
 * For every project change of the tenant: when the projector applied it, when the dispatcher
 * matched it and first sent it, by `<subject>@<version>` (the receiver's key).
 */
export async function stageTimes(databaseUrl: string, tenantIds: string[]): Promise<Map<string, StageTimes>> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{
      key: string;
      applied: number;
      matched: number;
      attempted: number | null;
    }>(
      `SELECT h.entity_id || '@' || h.version AS key,
              extract(epoch FROM h.applied_at) * 1000 AS applied,
              extract(epoch FROM d.created_at) * 1000 AS matched,
              (SELECT extract(epoch FROM min(a.attempted_at)) * 1000 FROM delivery_attempts a
                WHERE a.delivery_id = d.id) AS attempted
         FROM entity_history h
         JOIN deliveries d
           ON d.tenant_id = h.tenant_id AND d.entity_key = h.tenant_id::text || '/' || h.entity_id
          AND (d.body::jsonb -> 'data' ->> 'version')::int = h.version
        WHERE h.tenant_id = ANY($1::uuid[])`,
      [tenantIds],
    );
    return new Map(
      rows.map((row) => [
        row.key,
        {
          applied: Number(row.applied),
          matched: Number(row.matched),
          ...(row.attempted === null ? {} : { attempted: Number(row.attempted) }),
        },
      ]),
    );
  });
}
