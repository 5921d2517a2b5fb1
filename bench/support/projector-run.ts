import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { EventBus, OutgoingMessage } from '@hub/bus';
import { topicNames } from '@hub/contracts';
import { startApp, type RunningApp } from '../../test/support/app-process.js';
import { message, now } from './workload.js';
import { benchEvents, type ProjectorWorkload } from './projector-workload.js';

export const TOPICS = topicNames('hub');

/** Compiled entry points, found from this file so the benchmark runs from any working directory. */
const PROJECTOR_MAIN = fileURLToPath(new URL('../../apps/projector/src/main.js', import.meta.url));

/** How often the applied-events count is read; the resolution of every "applied at" time. */
export const POLL_MS = 100;
/** Nothing newly applied for this long: the projector is stuck, the run ends with partial figures. */
const STALL_MS = 30_000;

export type RunningProjector = RunningApp;

/**
 * The projector as a real process on `databaseUrl`: Postgres-log transport, default batch size.
 * PROJECTOR_* variables and UNIFIED_RECORDS of this process are passed on, to measure other settings
 * than the defaults.
 */
export function startProjector(databaseUrl: string): Promise<RunningProjector> {
  return startApp('projector', PROJECTOR_MAIN, 'PROJECTOR_PORT', {
    ...projectorSettings(),
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
  });
}

function projectorSettings(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        (entry[0].startsWith('PROJECTOR_') || entry[0] === 'UNIFIED_RECORDS') && entry[1] !== undefined,
    ),
  );
}

/** Counts read from the projector's tables and the bus log, on a connection of the benchmark's own. */
export class Progress {
  private constructor(private readonly client: pg.Client) {}

  static async open(databaseUrl: string): Promise<Progress> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-progress' });
    // A connection the server ends is reported by the next query; this only keeps it from crashing.
    client.on('error', () => undefined);
    await client.connect();
    return new Progress(client);
  }

  /**
   * Messages of the canonical projects topic the projector has applied: its group's committed
   * offsets, which commit in the same transaction as the events' rows. Read every 100 ms, so it
   * must be cheap: a count(*) of applied_events scanned the growing table each time, on the
   * machine being measured.
   */
  async applied(): Promise<number> {
    return this.count(
      `SELECT coalesce(sum(committed_offset), 0)::int AS n FROM bus_offsets WHERE group_id = 'projector' AND topic = $1`,
      [TOPICS.projects],
    );
  }

  async stateChanges(): Promise<number> {
    return this.count('SELECT count(*)::int AS n FROM bus_messages WHERE topic = $1', [TOPICS.stateChanges]);
  }

  async projects(): Promise<number> {
    return this.count('SELECT count(*)::int AS n FROM projects');
  }

  async historyRows(): Promise<number> {
    return this.count('SELECT count(*)::int AS n FROM entity_history');
  }

  /** Process ids of the server backends an application has open on this database. */
  async backendPids(applicationName: string): Promise<number[]> {
    const { rows } = await this.client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [applicationName],
    );
    return rows.map((row) => row.pid);
  }

  /** Bytes of WAL written so far by the whole server (every database on it). */
  async walPosition(): Promise<string> {
    const { rows } = await this.client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]?.lsn ?? '0/0';
  }

  async walBytesSince(lsn: string): Promise<number> {
    const { rows } = await this.client.query<{ bytes: string }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS bytes',
      [lsn],
    );
    return Number(rows[0]?.bytes ?? NaN);
  }

  async serverVersion(): Promise<string> {
    const { rows } = await this.client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private async count(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(sql, params);
    return rows[0]?.n ?? 0;
  }
}

/** One reading of the applied count, at the time the query was sent. */
export interface Sample {
  atMs: number;
  applied: number;
}

export interface BurstFigures {
  /** Events of the burst the projector applied (all of them unless `problem` is set). */
  applied: number;
  /** First publish to last publish acknowledged. */
  publishSeconds?: number;
  /** First publish to the first reading that showed every event applied. */
  firstPublishToLastAppliedSeconds?: number;
  /** Last publish acknowledged to the first reading that showed every event applied. */
  lagAfterLastPublishSeconds?: number;
  eventsPerSecond?: number;
  /** Rate between the readings at 10 % and 90 % applied: the projector's pace once it is busy. */
  steadyEventsPerSecond?: number;
  /** Readings relative to the first publish, for a throughput-over-time view. */
  samples: Sample[];
  problem?: string;
}

/**
 * Publishes `workload.events` canonical events in batches of `batchSize`, `inFlight` publishes at
 * once and as fast as the bus takes them (a burst, no back-pressure), while reading the applied
 * count every POLL_MS until it has grown by `workload.events`. The events are built before the
 * clock starts so the publisher's JSON and hashing work is not part of the figures.
 */
export async function runBurst(
  bus: EventBus,
  progress: Progress,
  tenant: string,
  workload: ProjectorWorkload,
  timeoutMs: number,
): Promise<BurstFigures> {
  const batches: OutgoingMessage[][] = [];
  for (let first = 0; first < workload.events; first += workload.batchSize) {
    batches.push(
      benchEvents(tenant, first, Math.min(workload.events, first + workload.batchSize), workload.projects),
    );
  }
  const baseline = await progress.applied();
  const target = baseline + workload.events;

  const start = now();
  let publishedAt: number | undefined;
  let publishError: unknown;
  let next = 0;
  const worker = async () => {
    while (next < batches.length && publishError === undefined) {
      const batch = batches[next++];
      if (batch) await bus.publish(TOPICS.projects, batch);
    }
  };
  const publishing = Promise.all(
    Array.from({ length: Math.min(workload.inFlight, batches.length) }, worker),
  ).then(
    () => void (publishedAt = now()),
    (error: unknown) => void (publishError = error),
  );

  const samples: Sample[] = [];
  let appliedAt: number | undefined;
  let problem: string | undefined;
  let lastProgressAt = start;
  let lastCount = baseline;
  for (;;) {
    const at = now();
    const count = await progress.applied();
    samples.push({ atMs: at - start, applied: count - baseline });
    if (count >= target) {
      appliedAt = at;
      break;
    }
    if (count > lastCount) {
      lastCount = count;
      lastProgressAt = at;
    }
    if (publishError !== undefined) {
      problem = `publish failed: ${message(publishError)}`;
      break;
    }
    if (at - start > timeoutMs) {
      problem = `timed out after ${timeoutMs / 1000} s`;
      break;
    }
    if (at - lastProgressAt > STALL_MS) {
      problem = `stalled: nothing applied for ${STALL_MS / 1000} s`;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + POLL_MS - now())));
  }
  // Every event applied means every publish was stored; after a failure, do not wait on a hung one.
  if (problem === undefined) await publishing;
  const figures: BurstFigures = {
    applied: appliedAt === undefined ? Math.min(workload.events, lastCount - baseline) : workload.events,
    samples,
  };
  if (publishedAt !== undefined) figures.publishSeconds = (publishedAt - start) / 1000;
  if (appliedAt !== undefined) {
    figures.firstPublishToLastAppliedSeconds = (appliedAt - start) / 1000;
    figures.eventsPerSecond = workload.events / figures.firstPublishToLastAppliedSeconds;
    if (publishedAt !== undefined)
      figures.lagAfterLastPublishSeconds = Math.max(0, appliedAt - publishedAt) / 1000;
  } else {
    const elapsed = (now() - start) / 1000;
    figures.eventsPerSecond = figures.applied / elapsed;
  }
  const steady = steadyRate(samples, workload.events);
  if (steady !== undefined) figures.steadyEventsPerSecond = steady;
  if (problem !== undefined) figures.problem = `${problem}; ${figures.applied} of ${workload.events} applied`;
  return figures;
}

function steadyRate(samples: Sample[], events: number): number | undefined {
  const from = samples.find((sample) => sample.applied >= events * 0.1);
  const to = [...samples].reverse().find((sample) => sample.applied <= events * 0.9);
  if (!from || !to || to.atMs <= from.atMs) return undefined;
  return ((to.applied - from.applied) / (to.atMs - from.atMs)) * 1000;
}

/**
 * CPU seconds (user + system) a process has used, from /proc; undefined where there is no /proc
 * or the process is gone. Linux counts in clock ticks of 1/100 s.
 */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is [0].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU used by a changing set of processes between start() and used(): a process seen only at the
 * end counts from zero (a pool connection opened during the run); one gone by then is not counted.
 */
export class CpuMeter {
  private readonly before = new Map<number, number>();

  async start(pids: number[]): Promise<void> {
    for (const pid of pids) {
      const seconds = await cpuSeconds(pid);
      if (seconds !== undefined) this.before.set(pid, seconds);
    }
  }

  /** Undefined when none of `pids` can be read (no /proc, or another pid namespace). */
  async used(pids: number[]): Promise<number | undefined> {
    let total: number | undefined;
    for (const pid of pids) {
      const seconds = await cpuSeconds(pid);
      if (seconds !== undefined) total = (total ?? 0) + seconds - (this.before.get(pid) ?? 0);
    }
    return total;
  }
}
