import type { Aim } from './report.js';
import type { TransportFigures } from './system-run.js';

/** What the system is aimed at; each aim is judged per transport and printed met or missed. */
export interface SystemAims {
  /** Ingest's closed-loop capacity over bare node:http's, in %. */
  capacityPercentOfBareHttp: number;
  /** req/s. */
  highestBoundedRate: number;
  /** The sustained run's rate the latency aim is set at (req/s)... */
  sustainedRate: number;
  /** ...and its end-to-end p99 bound, on the Postgres log and on a real broker. */
  sustainedE2eP99Ms: number;
  rssMiBPerApp: number;
}

const status = (met: boolean): Aim['status'] => (met ? 'MET' : 'MISSED');
const skipped = (description: string, actual: string): Aim => ({ description, actual, status: 'SKIPPED' });
const percent = (value: number, of: number) => `${((value / of) * 100).toFixed(1)} %`;

/** Each aim for one transport's figures, with the figure, its ceiling and the ratio in %. */
export function aimsOf(t: TransportFigures, aims: SystemAims): Aim[] {
  return [capacityAim(t, aims), rateAim(t, aims), latencyAim(t, aims), memoryAim(t, aims)];
}

function capacityAim(t: TransportFigures, aims: SystemAims): Aim {
  const description = `ingest capacity >= ${aims.capacityPercentOfBareHttp} % of bare node:http`;
  const ingest = t.ingestCapacity?.requestsPerSecond;
  const bare = t.ceilings.bareHttpCapacity?.requestsPerSecond;
  if (ingest === undefined || !bare) return skipped(description, 'not measured');
  const ratio = (ingest / bare) * 100;
  return {
    description,
    actual: `${ingest.toFixed(0)} of ${bare.toFixed(0)} req/s = ${ratio.toFixed(1)} %`,
    status: status(ratio >= aims.capacityPercentOfBareHttp),
  };
}

function rateAim(t: TransportFigures, aims: SystemAims): Aim {
  const description = `highest bounded rate >= ${aims.highestBoundedRate} req/s`;
  if (t.steps.length === 0) return skipped(description, 'not measured');
  const rate = t.highestBoundedRate ?? 0;
  const highestStep = Math.max(...t.steps.map((s) => s.offeredRate));
  const bare = t.ceilings.bareHttpCapacity?.requestsPerSecond;
  return {
    description,
    actual:
      `${rate} req/s = ${percent(rate, aims.highestBoundedRate)} of the aim` +
      (rate === highestStep ? ' (the highest step run: the search did not reach its limit)' : '') +
      (bare ? `; ceiling bare node:http ${bare.toFixed(0)} req/s, ${percent(rate, bare)} of it` : ''),
    status: status(rate >= aims.highestBoundedRate),
  };
}

function latencyAim(t: TransportFigures, aims: SystemAims): Aim {
  const description = `sustained ${aims.sustainedRate} req/s with e2e p99 <= ${aims.sustainedE2eP99Ms} ms (${t.broker || t.transport})`;
  const s = t.sustained;
  if (!s) return skipped(description, 'not measured');
  const p99 = s.e2e.p99Ms;
  const bareP99 = t.ceilings.bareHttpAtRate?.ingest.p99Ms;
  const figure =
    `e2e p99 ${p99 === undefined ? '-' : p99.toFixed(0)} ms at ${s.offeredRate} req/s` +
    (p99 === undefined ? '' : ` = ${percent(p99, aims.sustainedE2eP99Ms)} of the bound`) +
    (s.undelivered > 0 ? `, ${s.undelivered} webhooks not delivered` : '') +
    (bareP99 === undefined ? '' : `; ceiling bare node:http p99 ${bareP99.toFixed(1)} ms at that rate`);
  if (s.offeredRate !== aims.sustainedRate)
    return skipped(description, `${figure} (BENCH_RATE: not the aim's rate)`);
  if (t.transport === 'kafka' && t.broker.startsWith('mock'))
    return skipped(description, `${figure} (mock broker: the aim is on a real one, KAFKA_BROKERS=host:port)`);
  if (p99 === undefined) return { description, actual: figure, status: 'MISSED' };
  return {
    description,
    actual: figure,
    status: status(p99 <= aims.sustainedE2eP99Ms && s.undelivered === 0),
  };
}

function memoryAim(t: TransportFigures, aims: SystemAims): Aim {
  const description = `RSS per app <= ${aims.rssMiBPerApp} MiB`;
  const rss = Object.entries(t.sustained?.rssMaxMiB ?? {});
  if (rss.length === 0) return skipped(description, 'not measured');
  const highest = Math.max(...rss.map(([, mib]) => mib));
  return {
    description,
    actual:
      rss.map(([name, mib]) => `${name} ${mib.toFixed(0)}`).join(', ') +
      ` MiB (max over the sustained run); highest = ${percent(highest, aims.rssMiBPerApp)} of the bound`,
    status: status(highest <= aims.rssMiBPerApp),
  };
}
