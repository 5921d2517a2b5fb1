import type { Logger } from '@nestjs/common';
import { logLevel, type LogEntry } from 'kafkajs';

/** LOG_LEVEL's names (pino's, and `log` for info), as the bus receives them. */
export type BusLogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'log' | 'debug' | 'trace' | 'silent';

/**
 * What kafkajs is asked to produce for a LOG_LEVEL: no entry it would make that our level would
 * drop. Its info entries (starting, joining a group) are written at debug, so they are only made
 * at debug; its debug entries (every request) at trace.
 */
export function kafkajsLogLevel(level: BusLogLevel): logLevel {
  switch (level) {
    case 'silent':
      return logLevel.NOTHING;
    case 'fatal':
    case 'error':
      return logLevel.ERROR;
    case 'debug':
      return logLevel.INFO;
    case 'trace':
      return logLevel.DEBUG;
    default:
      return logLevel.WARN;
  }
}

/**
 * Routine group membership: a rebalance (a member joined or left, a deploy), and the heartbeats
 * and commits a rebalance interrupts. kafkajs logs these at error and warn; they need no one.
 */
const REBALANCE = [
  /rebalanc/i,
  /REBALANCE_IN_PROGRESS/,
  /Restarting the consumer/,
  /not aware of this member/,
  /UNKNOWN_MEMBER_ID/,
  /not the correct coordinator/i,
  /NOT_COORDINATOR/,
];

/** Whether a kafkajs message or error is about a routine rebalance. */
export function isRebalancing(text: string): boolean {
  return REBALANCE.some((pattern) => pattern.test(text));
}

/** kafkajs request failures (`Response Heartbeat(key: 12, …)`) repeat every heartbeat: these go to debug. */
const PER_REQUEST = /^Response /;

/** The fields of a kafkajs entry worth a field of ours; anything else (a stack, an assignment) is left out. */
const KEPT_FIELDS = [
  'groupId',
  'memberId',
  'broker',
  'clientId',
  'topic',
  'partition',
  'retryCount',
  'retryTime',
];

type Level = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/**
 * The level a kafkajs entry is written at. Routine rebalancing is info (once per rebalance) or
 * debug (per request); kafkajs's own crash line is debug, since the subscription logs the crash
 * and its restart itself; the rest keeps kafkajs's level, its info and debug one step lower.
 */
export function kafkajsEntryLevel(entry: LogEntry): Level {
  const { message, error } = entry.log as { message?: unknown; error?: unknown };
  if (isRebalancing(`${String(message ?? '')} ${String(error ?? '')}`)) {
    return PER_REQUEST.test(String(message ?? '')) ? 'debug' : 'log';
  }
  if (/^Crash: /.test(String(message ?? ''))) return 'debug';
  if (entry.level <= logLevel.ERROR) return 'error';
  if (entry.level === logLevel.WARN) return 'warn';
  if (entry.level === logLevel.INFO) return 'debug';
  return 'verbose';
}

/** kafkajs's log creator over our logger: one line per entry, its details as fields. */
export function kafkajsLogCreator(logger: Logger): () => (entry: LogEntry) => void {
  return () => (entry) => {
    const log = entry.log as Record<string, unknown>;
    const fields: Record<string, unknown> = { kafkajs: entry.namespace };
    for (const key of KEPT_FIELDS) if (log[key] !== undefined) fields[key] = log[key];
    if (log['error'] !== undefined) fields['error'] = String(log['error']);
    logger[kafkajsEntryLevel(entry)](fields, String(log['message'] ?? ''));
  };
}
