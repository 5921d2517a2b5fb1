import type { AttemptResult } from '../outbound/outbound.client.js';

/** A Retry-After longer than a day is taken as a day: the schedule's own patience. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

export type Decision =
  | { kind: 'succeeded' }
  /** 410 Gone: the receiver says the endpoint is gone for good (Standard Webhooks). */
  | { kind: 'gone' }
  | { kind: 'retry'; at: Date }
  | { kind: 'exhausted' };

export interface RetrySettings {
  /** Waits before attempt 2, 3, …; one attempt more than entries. */
  schedule: readonly number[];
  jitter: number;
}

/**
 * What follows an attempt. The wait after attempt n is schedule[n-1], stretched or shrunk by up
 * to ±jitter; a Retry-After on 429/503 can only lengthen it.
 */
export function decide(
  result: AttemptResult,
  attemptsBefore: number,
  settings: RetrySettings,
  nowMs = Date.now(),
  random: () => number = Math.random,
): Decision {
  const status = result.statusCode;
  if (status !== null && status >= 200 && status < 300) return { kind: 'succeeded' };
  if (status === 410) return { kind: 'gone' };
  const base = settings.schedule[attemptsBefore];
  if (base === undefined) return { kind: 'exhausted' };
  const jittered = base * (1 + settings.jitter * (2 * random() - 1));
  const asked = Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return { kind: 'retry', at: new Date(nowMs + Math.round(Math.max(jittered, asked))) };
}
