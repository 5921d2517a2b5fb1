import { samplesOf, scrapeIfUp, sumOf, type Sample } from '../../test/support/prometheus.js';

/**
 * How ingest's publisher group-commits, read from its /metrics: the histograms
 * hub_bus_append_messages (messages per append) and hub_bus_append_callers (publish calls
 * coalesced per append), summed over their `transport` label. An app without them (an older
 * build) yields undefined figures, printed as "n/a", never a failed run.
 */
export interface AppendTotals {
  appends: number;
  messages: number;
  callers?: number;
}

/** What an app's appends were over a stretch of time (the difference of two scrapes). */
export interface AppendFigures {
  appends: number;
  /** Mean messages per append: sum / count of hub_bus_append_messages. */
  meanMessages?: number;
  /** Mean publish calls per append: sum / count of hub_bus_append_callers. */
  meanCallers?: number;
}

const MESSAGES = 'hub_bus_append_messages';
const CALLERS = 'hub_bus_append_callers';

/** The totals so far of the app at `baseUrl`; undefined when it does not expose the histograms or cannot be scraped. */
export async function scrapeAppendTotals(baseUrl: string): Promise<AppendTotals | undefined> {
  const samples = await scrapeIfUp(baseUrl);
  return samples === undefined ? undefined : appendTotals(samples);
}

/** The histograms' sums and counts in an app's samples, over every label set. */
export function appendTotals(samples: Sample[]): AppendTotals | undefined {
  const summed = (name: string) => (samplesOf(samples, name).length === 0 ? undefined : sumOf(samples, name));
  const messagesCount = summed(`${MESSAGES}_count`);
  const messagesSum = summed(`${MESSAGES}_sum`);
  if (messagesCount === undefined || messagesSum === undefined) return undefined;
  const callers = summed(`${CALLERS}_sum`);
  return { appends: messagesCount, messages: messagesSum, ...(callers === undefined ? {} : { callers }) };
}

/** The appends between two scrapes; undefined figures where either scrape lacked them or none happened. */
export function appendsBetween(
  before: AppendTotals | undefined,
  after: AppendTotals | undefined,
): AppendFigures | undefined {
  if (!after) return undefined;
  const appends = after.appends - (before?.appends ?? 0);
  if (appends <= 0) return { appends: 0 };
  const messages = after.messages - (before?.messages ?? 0);
  const callers =
    after.callers === undefined || (before !== undefined && before.callers === undefined)
      ? undefined
      : after.callers - (before?.callers ?? 0);
  return {
    appends,
    meanMessages: messages / appends,
    ...(callers === undefined ? {} : { meanCallers: callers / appends }),
  };
}
