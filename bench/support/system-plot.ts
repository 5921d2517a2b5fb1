import type { TransportFigures } from './system-run.js';

/**
 * Latency percentiles against offered rate, hand-written SVG: x is the offered rate (log 2, the
 * steps double), y the end-to-end latency in ms (log 10, so the knee shows whether it is at
 * 50 ms or 5 s). One colour per transport; p50 solid, p95 dashed, p99 dotted. A hollow marker
 * is a step whose lag was not bounded.
 */
export function latencyPlot(transports: TransportFigures[], title: string): string {
  const width = 760;
  const height = 460;
  const margin = { left: 70, right: 190, top: 40, bottom: 60 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const steps = transports.flatMap((t) => t.steps);
  const rates = steps.map((s) => s.offeredRate);
  const values = steps.flatMap((s) => [s.e2e.p50Ms, s.e2e.p95Ms, s.e2e.p99Ms]).filter(isFiniteNumber);
  const xMin = Math.log2(Math.min(...rates, 10));
  const xMax = Math.log2(Math.max(...rates, 20));
  const yMin = Math.floor(Math.log10(Math.max(1, Math.min(...values, 10))));
  const yMax = Math.ceil(Math.log10(Math.max(...values, 100)));
  const x = (rate: number) => margin.left + ((Math.log2(rate) - xMin) / (xMax - xMin || 1)) * plotW;
  const y = (ms: number) =>
    margin.top + plotH - ((Math.log10(Math.max(ms, 10 ** yMin)) - yMin) / (yMax - yMin || 1)) * plotH;
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const dashes: Record<string, string> = { p50: '', p95: '6 4', p99: '2 3' };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${margin.left}" y="22" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let exponent = yMin; exponent <= yMax; exponent++) {
    for (const factor of [1, 2, 5]) {
      const ms = factor * 10 ** exponent;
      if (ms > 10 ** yMax) continue;
      const at = y(ms).toFixed(1);
      out.push(
        `<line x1="${margin.left}" y1="${at}" x2="${margin.left + plotW}" y2="${at}" stroke="${factor === 1 ? '#ccc' : '#eee'}"/>`,
        `<text x="${margin.left - 6}" y="${at}" text-anchor="end" dominant-baseline="middle">${ms >= 1000 ? `${ms / 1000} s` : ms}</text>`,
      );
    }
  }
  for (const rate of [...new Set(rates)].sort((a, b) => a - b)) {
    const at = x(rate).toFixed(1);
    out.push(
      `<line x1="${at}" y1="${margin.top}" x2="${at}" y2="${margin.top + plotH}" stroke="#eee"/>`,
      `<text x="${at}" y="${margin.top + plotH + 16}" text-anchor="middle">${rate}</text>`,
    );
  }
  out.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 18}" text-anchor="middle">offered rate (signed provider requests/s, log scale)</text>`,
    `<text transform="translate(18 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">end-to-end latency, POST to receipt (ms, log scale)</text>`,
  );
  let legendY = margin.top + 8;
  transports.forEach((transport, index) => {
    const colour = colours[index % colours.length]!;
    for (const p of ['p50', 'p95', 'p99'] as const) {
      const points = transport.steps
        .map((s) => ({ rate: s.offeredRate, ms: s.e2e[`${p}Ms`], bounded: s.bounded }))
        .filter((point): point is { rate: number; ms: number; bounded: boolean } => isFiniteNumber(point.ms));
      if (points.length === 0) continue;
      const path = points.map(
        (pt, i) => `${i === 0 ? 'M' : 'L'}${x(pt.rate).toFixed(1)},${y(pt.ms).toFixed(1)}`,
      );
      out.push(
        `<path d="${path.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" stroke-dasharray="${dashes[p]}"/>`,
      );
      for (const pt of points) {
        out.push(
          `<circle cx="${x(pt.rate).toFixed(1)}" cy="${y(pt.ms).toFixed(1)}" r="3.5" stroke="${colour}" stroke-width="1.5" fill="${pt.bounded ? colour : '#fff'}"/>`,
        );
      }
      const lx = margin.left + plotW + 14;
      out.push(
        `<line x1="${lx}" y1="${legendY}" x2="${lx + 28}" y2="${legendY}" stroke="${colour}" stroke-width="2" stroke-dasharray="${dashes[p]}"/>`,
        `<text x="${lx + 34}" y="${legendY}" dominant-baseline="middle">${escape(transport.transport)} ${p}</text>`,
      );
      legendY += 18;
    }
    const bounded = transport.highestBoundedRate;
    const lx = margin.left + plotW + 14;
    out.push(
      `<text x="${lx}" y="${legendY}" dominant-baseline="middle" fill="#555">bounded up to ${bounded ?? '-'} req/s</text>`,
    );
    legendY += 26;
  });
  const lx = margin.left + plotW + 14;
  out.push(
    `<circle cx="${lx + 5}" cy="${legendY}" r="3.5" stroke="#444" fill="#fff"/>`,
    `<text x="${lx + 14}" y="${legendY}" dominant-baseline="middle">lag not bounded</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}

function isFiniteNumber(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
