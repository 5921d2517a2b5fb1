/** One sample of a Prometheus text exposition: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** An app's /metrics as text; undefined when it cannot be scraped (the bench goes on without it). */
export async function scrapeExposition(baseUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Every sample of `name`, whatever its labels, in a Prometheus text exposition. */
export function samplesOf(exposition: string, name: string): Sample[] {
  const found: Sample[] = [];
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    const labelText = rest[0] === '{' ? rest.slice(1, rest.lastIndexOf('}')) : '';
    found.push({ labels: labelsOf(labelText), value });
  }
  return found;
}

/** The sum of every sample of `name`; undefined when there is none. */
export function sampleSum(exposition: string, name: string): number | undefined {
  const samples = samplesOf(exposition, name);
  return samples.length === 0 ? undefined : samples.reduce((sum, sample) => sum + sample.value, 0);
}

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, name, quoted] of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[name!] = quoted!.replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
  }
  return labels;
}
