import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { withClient } from '../../test/support/database.js';

/** Resident memory of a process in MiB (VmRSS), undefined once it is gone. */
export async function residentMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : undefined;
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in ticks of 1/100 s. */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name, which may hold spaces; [] once it is gone. */
async function statFields(pid: number): Promise<string[]> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : [];
}

function ticksToMs(...ticks: Array<string | undefined>): number {
  return (ticks.reduce((sum, tick) => sum + Number(tick ?? 0), 0) / TICKS_PER_SECOND) * 1_000;
}

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export async function cpuMs(pid: number): Promise<number> {
  const fields = await statFields(pid);
  return ticksToMs(fields[11], fields[12]);
}

/** Host names that are this machine: a broker there shares its cores with what is measured. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The process serving the first of `brokers` (host:port, comma-separated) when it runs on this
 * machine, found with iproute2's `ss` by its listening port; undefined when the broker is
 * elsewhere or `ss` cannot say (not installed, or the process is another user's).
 */
export async function localBrokerPid(brokers: string): Promise<number | undefined> {
  const first = brokers.split(',')[0]?.trim() ?? '';
  const { hostname, port } = URL.canParse(`tcp://${first}`)
    ? new URL(`tcp://${first}`)
    : { hostname: '', port: '' };
  if (!LOOPBACK.has(hostname) || port === '') return undefined;
  try {
    const { stdout } = await promisify(execFile)('ss', ['-Hltnp', `sport = :${port}`]);
    const pid = /pid=(\d+)/.exec(stdout)?.[1];
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined;
  }
}

/**
 * CPU time of the Postgres server so far, in ms, by kind of process: the backends serving the apps,
 * the WAL writer, autovacuum, the rest of the live children (checkpointer, background writer), and
 * the children that have exited (reaped: short-lived autovacuum workers mostly) with the server's own.
 */
export async function postgresCpuMs(
  serverPid: number,
  children: LiveChild[],
  databaseUrl: string,
): Promise<Record<string, number>> {
  const applications = await applicationsByPid(databaseUrl);
  const server = await statFields(serverPid);
  const cpu: Record<string, number> = {
    'exited or server': ticksToMs(server[11], server[12], server[13], server[14]),
  };
  for (const { pid, fields } of children) {
    const application = applications.get(pid);
    const kind = application
      ? `backends of ${application}`
      : postgresProcessKind(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''));
    cpu[kind] = (cpu[kind] ?? 0) + ticksToMs(fields[11], fields[12]);
  }
  return cpu;
}

/** A live child process, with its /proc/<pid>/stat fields. */
export interface LiveChild {
  pid: number;
  fields: string[];
}

/** The live child processes of `parentPid`, each with its /proc/<pid>/stat fields. */
export async function childrenOf(parentPid: number): Promise<LiveChild[]> {
  const children = [];
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = await statFields(Number(entry));
    if (Number(fields[1]) === parentPid) children.push({ pid: Number(entry), fields });
  }
  return children;
}

/**
 * A process's context switches: voluntary ones, where it waited (for a socket, a lock, a timer), so
 * each is a wake-up and its cold caches; involuntary ones, where it was preempted.
 */
export interface Switches {
  voluntary: number;
  involuntary: number;
}

/** The switches a /proc/<pid>/task/<tid>/status text counts. */
export function switchesIn(status: string): Switches {
  const count = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { voluntary: count('voluntary_ctxt_switches'), involuntary: count('nonvoluntary_ctxt_switches') };
}

/** Context switches of a process so far, over all its live threads; zero once it is gone. */
export async function switchesOf(pid: number): Promise<Switches> {
  const total = { voluntary: 0, involuntary: 0 };
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const each = switchesIn(await readFile(`/proc/${pid}/task/${tid}/status`, 'utf8').catch(() => ''));
    total.voluntary += each.voluntary;
    total.involuntary += each.involuntary;
  }
  return total;
}

/** The Postgres server's processes and their switches so far, by process id. */
export async function postgresSwitches(
  serverPid: number,
  children: LiveChild[],
): Promise<Map<number, Switches>> {
  const pids = [serverPid, ...children.map((child) => child.pid)];
  return new Map(await Promise.all(pids.map(async (pid) => [pid, await switchesOf(pid)] as const)));
}

/** The machine's CPU time over all its cores, in ticks, and its context switches so far (/proc/stat). */
export interface MachineCounters {
  cores: number;
  /** User, nice, system, interrupts and steal: time a core ran something or was wanted. */
  busyTicks: number;
  /** The busy ticks with the idle and I/O wait ones. */
  allTicks: number;
  contextSwitches: number;
}

/** /proc/stat's text as MachineCounters. */
export function machineCountersIn(stat: string): MachineCounters {
  const fields = /^cpu\s+(.*)$/m.exec(stat)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busyTicks = user + nice + system + irq + softirq + steal;
  return {
    cores: stat.match(/^cpu\d+\s/gm)?.length ?? 0,
    busyTicks,
    allTicks: busyTicks + idle + iowait,
    contextSwitches: Number(/^ctxt\s+(\d+)/m.exec(stat)?.[1] ?? 0),
  };
}

/** This machine's counters so far; undefined where /proc/stat cannot be read. */
export async function machineCounters(): Promise<MachineCounters | undefined> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => '');
  return stat ? machineCountersIn(stat) : undefined;
}

/** Which application each backend serves (its connection's application_name), by process id. */
async function applicationsByPid(databaseUrl: string): Promise<Map<number, string>> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ pid: number; name: string }>(
      `SELECT pid, application_name AS name FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND application_name <> '' AND pid <> pg_backend_pid()`,
    );
    // The bus's listeners name their consumer group: one bucket per app is what is compared.
    return new Map(rows.map((row) => [row.pid, row.name.replace(/^hub-bus:.*/, 'bus listeners')]));
  });
}

/** A Postgres child's kind, from the title it sets (`postgres: walwriter`, `postgres: hub db …`). */
function postgresProcessKind(title: string): string {
  if (title.includes('walwriter')) return 'wal writer';
  if (title.includes('autovacuum')) return 'autovacuum';
  if (/postgres: \S+ \S+ 127\.0\.0\.1/.test(title)) return 'backends';
  return 'other';
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

/** Rows inserted, updated and deleted in one database so far, and transactions committed (pg_stat_database). */
export async function rowsWritten(databaseUrl: string): Promise<{ rows: number; commits: number }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ written: string; commits: string }>(
      `SELECT tup_inserted + tup_updated + tup_deleted AS written, xact_commit AS commits
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    return { rows: Number(rows[0]?.written ?? 0), commits: Number(rows[0]?.commits ?? 0) };
  });
}

/** One statement's share of a run, per accepted request (pg_stat_statements). */
export interface StatementFigures {
  query: string;
  calls: number;
  /** Execution time. */
  ms: number;
  /** Planning time (0 unless `pg_stat_statements.track_planning=on`, which BENCH_PG_STATEMENTS sets). */
  planMs: number;
  rows: number;
}

/** Starts pg_stat_statements' counts afresh (the server must have it loaded). */
export async function resetStatements(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
  });
}

/** The statements that took the most execution time since the reset, per accepted request. */
export async function topStatements(
  databaseUrl: string,
  requests: number,
  limit: number,
): Promise<StatementFigures[]> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{
      query: string;
      calls: string;
      ms: number;
      plan_ms: number;
      rows: string;
    }>(
      `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query, calls,
              total_exec_time AS ms, total_plan_time AS plan_ms, rows
         FROM pg_stat_statements
        ORDER BY total_exec_time + total_plan_time DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      query: row.query,
      calls: Number(row.calls) / requests,
      ms: row.ms / requests,
      planMs: row.plan_ms / requests,
      rows: Number(row.rows) / requests,
    }));
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
 * The two queries below join three tables that grow by tens of thousands of rows in a run. Planned
 * with the statistics of the warm-up's ANALYZE, when they held a few hundred, the stage read ran for
 * over five minutes in two full runs (2026-12-06), with or without parallel workers, before
 * autovacuum's analyse caught up; planned on fresh statistics it is a merge join of about two
 * seconds. So each analyses them first (a fraction of a second, between the measured phases).
 */
const FRESH_STATISTICS = 'ANALYZE entity_history, deliveries, delivery_attempts';

/** The delivery `d` of the webhook an `entity_history` row `h` caused (the webhook carries its version). */
const DELIVERY_OF_HISTORY_ROW = `d.tenant_id = h.tenant_id AND d.entity_key = h.tenant_id::text || '/' || h.entity_id
          AND (d.body::jsonb -> 'data' ->> 'version')::int = h.version`;

/**
 * Where each of these webhooks (`<entity id>@<version>`, a step's undelivered ones) stopped, from
 * the apps' own tables, counted by place: not applied by the projector; applied with no delivery
 * row; or its delivery's status, attempts and last outcome (a failed attempt waits for its retry).
 */
export async function whereUndelivered(
  databaseUrl: string,
  tenantIds: string[],
  keys: string[],
): Promise<Record<string, number>> {
  return withClient(databaseUrl, async (client) => {
    await client.query(FRESH_STATISTICS);
    const { rows } = await client.query<{
      applied: boolean;
      status: string | null;
      attempts: number | null;
      outcome: string | null;
    }>(
      `SELECT h.version IS NOT NULL AS applied, d.status, d.attempts,
              COALESCE('HTTP ' || d.last_status_code, d.last_error) AS outcome
         FROM unnest($2::text[]) AS k(key)
         LEFT JOIN entity_history h
           ON h.tenant_id = ANY($1::uuid[]) AND h.entity_id = split_part(k.key, '@', 1)
          AND h.version = split_part(k.key, '@', 2)::int
         LEFT JOIN deliveries d
           ON ${DELIVERY_OF_HISTORY_ROW}`,
      [tenantIds, keys],
    );
    const places: Record<string, number> = {};
    for (const row of rows) {
      const place = !row.applied
        ? 'not applied by the projector'
        : row.status === null
          ? 'applied, no delivery row'
          : `delivery ${row.status} after ${row.attempts} ${row.attempts === 1 ? 'attempt' : 'attempts'}${row.outcome ? ` (last: ${row.outcome})` : ''}`;
      places[place] = (places[place] ?? 0) + 1;
    }
    return places;
  });
}

/**
 * For every project change of the tenant: when the projector applied it, when the dispatcher
 * matched it and first sent it, by `<subject>@<version>` (the receiver's key).
 */
export async function stageTimes(databaseUrl: string, tenantIds: string[]): Promise<Map<string, StageTimes>> {
  return withClient(databaseUrl, async (client) => {
    await client.query(FRESH_STATISTICS);
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
           ON ${DELIVERY_OF_HISTORY_ROW}
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

/**
 * The machine's speed now: how long a fixed CPU-bound workload (machine-probe.ts) takes in a
 * process of its own, in ms. This VM's speed moves with its host's load by more than half, and its
 * CPU accounting cannot tell (a slower core reads as more CPU time per request), so each run
 * gives it before and after its figures; runs compare only at a similar probe.
 */
export async function machineProbeMs(): Promise<number | undefined> {
  const script = fileURLToPath(new URL('./machine-probe.js', import.meta.url));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [script]);
    const ms = Number(stdout.trim());
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}
