/** One sample of Prometheus' text format: `name{label="value",…} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/** The samples of a Prometheus text exposition (comments and blank lines skipped); a bad line throws. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    samples.push({
      name: match[1]!,
      labels: parseLabels(match[2] ?? '', line),
      value: parseValue(match[3]!, line),
    });
  }
  return samples;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`bad labels in: ${line}`);
    labels[match[1]!] = match[2]!.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
  }
  return labels;
}

/**
 * Values as Prometheus reads them (Go's ParseFloat): NaN and infinities in any case. prom-client
 * writes `Nan`, for instance for the event-loop lag mean before its first sample.
 */
function parseValue(text: string, line: string): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`bad sample value in: ${line}`);
  return value;
}

/** An app's /metrics, parsed; with `timeoutMs`, a scrape that takes longer fails. */
export async function scrape(baseUrl: string, timeoutMs?: number): Promise<Sample[]> {
  const response = await fetch(
    `${baseUrl}/metrics`,
    timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {},
  );
  if (response.status !== 200) throw new Error(`${baseUrl}/metrics answered ${response.status}`);
  return parsePrometheusText(await response.text());
}

/** The samples named `name` whose labels include `labels`. */
export function samplesOf(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The sum of those samples (0 when there is none: a counter not yet counted is absent). */
export function sumOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samplesOf(samples, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}

/** An app's /metrics, parsed; undefined when it cannot be scraped or read (a benchmark goes on without it). */
export function scrapeIfUp(baseUrl: string): Promise<Sample[] | undefined> {
  return scrape(baseUrl, 5_000).catch(() => undefined);
}
