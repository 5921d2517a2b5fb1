import { samplesOf, type Sample } from '../../test/support/prometheus.js';

/**
 * A consumer group's rounds over a stretch of time, read from its app's /metrics: each committed
 * batch is one `hub_bus_handler_duration_seconds` observation, and `hub_bus_messages_handled_total`
 * counts their messages. A round has a fixed cost of its own (a transaction, the handler's
 * statements, wake-ups), so its messages say how far that cost is shared.
 */
export interface RoundFigures {
  rounds: number;
  messages: number;
}

const ROUNDS = 'hub_bus_handler_duration_seconds_count';
const MESSAGES = 'hub_bus_messages_handled_total';

/** Rounds and messages so far, by consumer group, in one app's samples. */
export function roundTotals(samples: Sample[]): Map<string, RoundFigures> {
  const totals = new Map<string, RoundFigures>();
  const of = (group: string | undefined) => {
    const key = group ?? '';
    const figures = totals.get(key) ?? { rounds: 0, messages: 0 };
    totals.set(key, figures);
    return figures;
  };
  for (const sample of samplesOf(samples, ROUNDS)) of(sample.labels['group']).rounds += sample.value;
  for (const sample of samplesOf(samples, MESSAGES)) of(sample.labels['group']).messages += sample.value;
  return totals;
}

/** Each group's rounds and messages between two scrapes of its app; groups with no round left out. */
export function roundsBetween(
  before: Sample[] | undefined,
  after: Sample[] | undefined,
): Record<string, RoundFigures> {
  if (!after) return {};
  const earlier = before ? roundTotals(before) : new Map<string, RoundFigures>();
  const between: Record<string, RoundFigures> = {};
  for (const [group, later] of roundTotals(after)) {
    const rounds = later.rounds - (earlier.get(group)?.rounds ?? 0);
    if (rounds > 0)
      between[group] = { rounds, messages: later.messages - (earlier.get(group)?.messages ?? 0) };
  }
  return between;
}
