import { fixed, printTable } from './report.js';
import { AIM_PERCENT, type CostRow, type ObservabilityFigures } from './system-observability.js';

/** Prints each transport's comparison: the rounds, the costs beside the aim, the proof of export. */
export function printObservability(transports: ObservabilityFigures[]): void {
  for (const t of transports) {
    console.log(`\n${t.transport}: observability off vs on at ${t.rate ?? '-'} req/s, rounds in this order`);
    printTable([
      ['round', 'obs', 'accepted/s', 'e2e p50', 'e2e p95', 'e2e p99', 'capacity req/s', 'spans', 'scrapes'],
      ...t.rounds.map((r) => [
        String(r.round),
        r.observability,
        fixed(r.sustained.achievedRate, 1),
        fixed(r.sustained.e2e.p50Ms, 0),
        fixed(r.sustained.e2e.p95Ms, 0),
        fixed(r.sustained.e2e.p99Ms, 0),
        fixed(r.ingestCapacity.requestsPerSecond, 0),
        r.exported ? String(r.exported.spans) : '-',
        r.scrapes ? String(Object.values(r.scrapes).reduce((sum, s) => sum + s.scrapes, 0)) : '-',
      ]),
    ]);
    console.log(
      `\n${t.transport}: the mean of each side's rounds; cost > 0 means "on" is worse; ` +
        'noise: the widest gap between two rounds of one side',
    );
    printTable([
      ['figure', 'off', 'on', 'cost', 'noise', `aim < ${AIM_PERCENT} %`],
      ...t.costs.map((c) => {
        const digits = c.unit === 'ms' && (c.off ?? 0) < 10 ? 2 : 1;
        return [
          c.figure,
          `${fixed(c.off, digits)} ${c.unit}`,
          `${fixed(c.on, digits)} ${c.unit}`,
          c.costPercent === undefined ? '-' : `${c.costPercent.toFixed(1)} %`,
          c.noisePercent === undefined ? '-' : `${c.noisePercent.toFixed(1)} %`,
          aim(c),
        ];
      }),
    ]);
    for (const r of t.rounds.filter((round) => round.exported)) {
      const e = r.exported!;
      console.log(
        `  round ${r.round}: ${e.spans} spans in ${e.requests} OTLP requests (${(e.bytes / 1024).toFixed(0)} KiB` +
          `${e.unreadable ? `, ${e.unreadable} unreadable` : ''}); scrapes ` +
          Object.entries(r.scrapes ?? {})
            .map(
              ([app, s]) =>
                `${app} ${s.scrapes} (p99 ${fixed(s.p99Ms, 1)} ms, ${s.failures} failed, ${fixed((s.bytes ?? 0) / 1024, 0)} KiB)`,
            )
            .join(', '),
      );
    }
    for (const problem of t.problems) console.log(`  problem: ${problem}`);
  }
}

/** met / MISSED against the aim, and whether the rounds' own spread is wider than the cost. */
function aim(cost: CostRow): string {
  if (!cost.aimed || cost.costPercent === undefined) return '';
  const verdict = cost.costPercent < AIM_PERCENT ? 'met' : 'MISSED';
  const noisy = cost.noisePercent !== undefined && cost.noisePercent > Math.abs(cost.costPercent);
  return noisy ? `${verdict} (within noise)` : verdict;
}
