import { fixed, printTable, type Aim } from './report.js';
import type { DeliveryOutcomes, PhaseFigures } from './dispatch-run.js';

export interface DispatchWorkload {
  /** Deliveries of the burst: changes times subscriptions. */
  deliveries: number;
  subscriptions: number;
  changes: number;
  /** Distinct entities the burst's changes are spread over. */
  entities: number;
  /** Changes per bus publish, and publishes in flight, in the burst. */
  publishBatchSize: number;
  publishInFlight: number;
  /** JSON size of one change as published, and of one webhook body as sent, in bytes. */
  changeBytes: number;
  bodyBytes: number;
  transport: string;
  /** The dispatcher's settings, all at their defaults. */
  dispatchConcurrency: number;
  endpointConcurrency: number;
  pollIntervalMs: number;
  /** Requests the bare loop keeps in flight: what the dispatcher can have at once over these subscriptions. */
  ceilingConcurrency: number;
  paced: { deliveriesPerSecond: number; seconds: number; tickMs: number; deliveries: number };
}

/** A phase as reported: the figures without the absolute times they were computed from. */
export type PhaseRow = Omit<PhaseFigures, 'startedAt' | 'lastReceiptAt'>;

export interface DispatcherPhase extends PhaseRow {
  /** First publish to the last delivery row inserted by matching. */
  matchedSeconds?: number;
  /** First publish to the first reading (every 50 ms) showing every delivery succeeded. */
  recordedSeconds?: number;
  /** Last receipt to that reading: how far recording outcomes trails the sending. */
  recordingLagSeconds?: number;
  outcomes?: DeliveryOutcomes;
}

export interface DispatchReport {
  date: string;
  machine: Record<string, string | number>;
  database: { server: string; version: string; source: string };
  workload: DispatchWorkload;
  dispatcher: { burst?: DispatcherPhase; paced?: DispatcherPhase; stop?: string };
  ceiling: { burst?: PhaseRow; paced?: PhaseRow };
  /** CPU seconds used during the dispatcher's burst. */
  resources: {
    dispatcherCpuSeconds?: number;
    dispatcherBackendsCpuSeconds?: number;
    receiverCpuSeconds?: number;
    benchCpuSeconds?: number;
  };
  aims: Aim[];
  problems: string[];
}

export function row(figures: PhaseFigures): PhaseRow {
  const { startedAt: _startedAt, lastReceiptAt: _lastReceiptAt, ...rest } = figures;
  return rest;
}

export function printDispatchReport(report: DispatchReport): void {
  const { workload: w, machine, database, dispatcher, ceiling } = report;
  console.log(
    `\ndispatch benchmark: ${w.deliveries} deliveries (${w.changes} project changes x ${w.subscriptions} subscriptions), ` +
      `change ${w.changeBytes} B, body ${w.bodyBytes} B; published in batches of ${w.publishBatchSize}, ` +
      `${w.publishInFlight} in flight, ${w.transport} bus; dispatcher defaults: concurrency ${w.dispatchConcurrency}, ` +
      `${w.endpointConcurrency} per subscription, poll ${w.pollIntervalMs} ms; bare loop ${w.ceilingConcurrency} in flight`,
  );
  console.log(
    `${machine.cpuCount} x ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB, node ${machine.node}; ` +
      `Postgres ${database.version} (${database.source})\n`,
  );
  const rate = (value: number | undefined, ceilingValue: number | undefined) =>
    value === undefined || ceilingValue === undefined
      ? '-'
      : `${((value / ceilingValue) * 100).toFixed(0)} %`;
  const times = (value: number | undefined, ceilingValue: number | undefined) =>
    value === undefined || ceilingValue === undefined || ceilingValue <= 0
      ? '-'
      : `${(value / ceilingValue).toFixed(1)} x`;
  const paced = `paced ${w.paced.deliveriesPerSecond}/s`;
  printTable([
    ['', 'dispatcher', 'bare loop (ceiling)', 'dispatcher / ceiling'],
    [
      'burst deliveries/s, first send -> last receipt',
      fixed(dispatcher.burst?.perSecond, 0),
      fixed(ceiling.burst?.perSecond, 0),
      rate(dispatcher.burst?.perSecond, ceiling.burst?.perSecond),
    ],
    [
      'burst deliveries/s, steady (10 % to 90 % received)',
      fixed(dispatcher.burst?.steadyPerSecond, 0),
      fixed(ceiling.burst?.steadyPerSecond, 0),
      rate(dispatcher.burst?.steadyPerSecond, ceiling.burst?.steadyPerSecond),
    ],
    [
      'burst p50 ms, send -> receipt',
      fixed(dispatcher.burst?.p50Ms, 1),
      fixed(ceiling.burst?.p50Ms, 1),
      // Not comparable: the dispatcher's include the wait in the backlog, the loop has none.
      '-',
    ],
    ['burst p99 ms, send -> receipt', fixed(dispatcher.burst?.p99Ms, 1), fixed(ceiling.burst?.p99Ms, 1), '-'],
    [
      `${paced} p50 ms, send -> receipt`,
      fixed(dispatcher.paced?.p50Ms, 1),
      fixed(ceiling.paced?.p50Ms, 1),
      times(dispatcher.paced?.p50Ms, ceiling.paced?.p50Ms),
    ],
    [
      `${paced} p99 ms, send -> receipt`,
      fixed(dispatcher.paced?.p99Ms, 1),
      fixed(ceiling.paced?.p99Ms, 1),
      times(dispatcher.paced?.p99Ms, ceiling.paced?.p99Ms),
    ],
  ]);
  console.log(
    '\n(send: the bus publish of the change for the dispatcher, the start of the request for the bare loop; ' +
      "the dispatcher's burst latencies include the wait in the backlog, so they have no ratio)",
  );
  const burst = dispatcher.burst;
  if (burst) {
    console.log(
      `\nburst: published in ${fixed(burst.sendSeconds, 2)} s; every delivery matched ${fixed(burst.matchedSeconds, 2)} s, ` +
        `received ${fixed(burst.seconds, 2)} s, recorded succeeded ${fixed(burst.recordedSeconds, 2)} s after the first publish ` +
        `(recording lag after the last receipt ${fixed(burst.recordingLagSeconds, 2)} s, read every 50 ms)`,
    );
    describeOutcomes('burst', burst);
  }
  if (dispatcher.paced) {
    console.log(
      `\npaced: ${w.paced.deliveries} deliveries over ${w.paced.seconds} s, a publish every ${w.paced.tickMs} ms; ` +
        `recording lag after the last receipt ${fixed(dispatcher.paced.recordingLagSeconds, 2)} s`,
    );
    describeOutcomes('paced', dispatcher.paced);
  }
  const { resources } = report;
  const wall = burst?.recordedSeconds ?? burst?.seconds;
  const share = (cpu: number | undefined) =>
    cpu === undefined || wall === undefined ? '' : ` (${((cpu / wall) * 100).toFixed(0)} % of one core)`;
  console.log(
    `CPU during the burst: dispatcher ${fixed(resources.dispatcherCpuSeconds, 1)} s${share(resources.dispatcherCpuSeconds)}, ` +
      `its Postgres backends ${fixed(resources.dispatcherBackendsCpuSeconds, 1)} s${share(resources.dispatcherBackendsCpuSeconds)}, ` +
      `receiver ${fixed(resources.receiverCpuSeconds, 1)} s${share(resources.receiverCpuSeconds)}, ` +
      `benchmark ${fixed(resources.benchCpuSeconds, 1)} s${share(resources.benchCpuSeconds)}`,
  );
  if (dispatcher.stop) console.log(`dispatcher: ${dispatcher.stop}`);
  if (report.problems.length > 0) {
    console.log('\nproblems:');
    report.problems.forEach((problem) => console.log(`  ${problem}`));
  }
  console.log('\naims:');
  report.aims.forEach((aim) => console.log(`  ${aim.status.padEnd(7)} ${aim.description}: ${aim.actual}`));
}

function describeOutcomes(name: string, phase: DispatcherPhase): void {
  const statuses = Object.entries(phase.outcomes?.byStatus ?? {})
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  console.log(
    `${name} deliveries: ${statuses || '-'}; retried ${phase.outcomes?.retried ?? '-'}; ` +
      `received twice ${phase.duplicates}`,
  );
}
