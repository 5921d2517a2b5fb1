import { fixed, printTable, type Aim } from './report.js';
import type { CeilingFigures } from './projector-ceiling.js';
import type { BurstFigures, Sample } from './projector-run.js';
import type { ProjectorWorkload } from './projector-workload.js';

export interface CeilingRow extends CeilingFigures {
  name: string;
  /** Projector events/s over this ceiling's rows/s. */
  ratio?: number;
}

export interface ProjectorReport {
  date: string;
  machine: Record<string, string | number>;
  database: { server: string; version: string; source: string };
  workload: ProjectorWorkload & {
    creates: number;
    updates: number;
    projectorBatchSize: number;
    transport: string;
  };
  projector: Omit<BurstFigures, 'samples'> & {
    /** Projector events/s over the first ceiling's rows/s (one INSERT at a time, like its one consumer). */
    ratio?: number;
    stateChangesPublished?: number;
    projectRows?: number;
    historyRows?: number;
    /** Applied events, one reading a second, from the first publish. */
    timeline: Sample[];
    stop?: string;
  };
  resources: {
    projectorCpuSeconds?: number;
    projectorBackendsCpuSeconds?: number;
    /** WAL written by the whole server during the burst, per applied event. */
    walBytesPerEvent?: number;
  };
  ceilings: CeilingRow[];
  aims: Aim[];
  problems: string[];
}

export function printProjectorReport(report: ProjectorReport): void {
  const { workload, projector, machine, database } = report;
  console.log(
    `\nprojector benchmark: ${workload.events} project.upserted events over ${workload.projects} projects ` +
      `(${workload.creates} creates, ${workload.updates} updates), document ${workload.documentBytes} B, ` +
      `event ${workload.eventBytes} B; published in batches of ${workload.batchSize}, ${workload.inFlight} in flight; ` +
      `projector batch size ${workload.projectorBatchSize}, ${workload.transport} bus`,
  );
  console.log(
    `${machine.cpuCount} x ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB, node ${machine.node}; ` +
      `Postgres ${database.version} (${database.source})\n`,
  );
  const rows: string[][] = [
    ['', 'events', 'seconds', 'events/s', 'projector / this'],
    [
      'projector: first publish -> last applied',
      String(projector.applied),
      fixed(projector.firstPublishToLastAppliedSeconds, 2),
      fixed(projector.eventsPerSecond, 0),
      '',
    ],
    ...report.ceilings.map((ceiling) => [
      ceiling.name,
      String(ceiling.rows),
      fixed(ceiling.seconds, 2),
      fixed(ceiling.rowsPerSecond, 0),
      ceiling.ratio === undefined ? '-' : `${(ceiling.ratio * 100).toFixed(1)} %`,
    ]),
  ];
  printTable(rows);
  const publishRate =
    projector.publishSeconds === undefined
      ? ''
      : ` (${fixed(projector.applied / projector.publishSeconds, 0)} events/s)`;
  console.log(
    `\nburst: published in ${fixed(projector.publishSeconds, 2)} s${publishRate}; ` +
      `lag after the last publish ${fixed(projector.lagAfterLastPublishSeconds, 2)} s; ` +
      `first publish to last applied ${fixed(projector.firstPublishToLastAppliedSeconds, 2)} s ` +
      `(applied count read every 100 ms)`,
  );
  console.log(`steady pace, 10 % to 90 % applied: ${fixed(projector.steadyEventsPerSecond, 0)} events/s`);
  console.log(
    `state changes published: ${projector.stateChangesPublished ?? '-'} (one per event expected: ${workload.events}); ` +
      `project rows ${projector.projectRows ?? '-'}, history rows ${projector.historyRows ?? '-'}`,
  );
  const { resources } = report;
  const wall = projector.firstPublishToLastAppliedSeconds;
  const share = (cpu: number | undefined) =>
    cpu === undefined || wall === undefined ? '' : ` (${((cpu / wall) * 100).toFixed(0)} % of one core)`;
  console.log(
    `CPU during the burst: projector process ${fixed(resources.projectorCpuSeconds, 1)} s${share(resources.projectorCpuSeconds)}, ` +
      `its Postgres backends ${fixed(resources.projectorBackendsCpuSeconds, 1)} s${share(resources.projectorBackendsCpuSeconds)}; ` +
      `WAL ${fixed(resources.walBytesPerEvent, 0)} B per event (whole server)`,
  );
  if (projector.stop) console.log(`projector: ${projector.stop}`);
  if (report.problems.length > 0) {
    console.log('\nproblems:');
    report.problems.forEach((problem) => console.log(`  ${problem}`));
  }
  console.log('\naims:');
  report.aims.forEach((aim) => console.log(`  ${aim.status.padEnd(7)} ${aim.description}: ${aim.actual}`));
}

/** One reading a second (the last reading of each second), and the final one. */
export function timeline(samples: Sample[]): Sample[] {
  const kept = new Map<number, Sample>();
  for (const sample of samples) kept.set(Math.floor(sample.atMs / 1000), sample);
  const last = samples.at(-1);
  const result = [...kept.values()];
  if (last && result.at(-1) !== last) result.push(last);
  return result.map((sample) => ({ atMs: Math.round(sample.atMs), applied: sample.applied }));
}
