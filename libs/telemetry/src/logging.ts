import { trace } from '@opentelemetry/api';
import { pino, stdTimeFunctions, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/** The names LOG_LEVEL takes: pino's, plus `log`, Nest's name for `info`. */
export const LOG_LEVEL_NAMES = ['fatal', 'error', 'warn', 'info', 'log', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];
export type LogFormat = 'json' | 'text';

export interface LoggingOptions {
  /** Every line carries it as `app`. */
  app: string;
  level: LogLevelName;
  format: LogFormat;
}

/**
 * Paths never written, whatever a caller passes: a webhook's signature, a subscription's or a
 * source's secret, an API key. Lines name what was rejected and why, never the material itself.
 */
const REDACTED_PATHS = [
  'secret',
  '*.secret',
  'signature',
  '*.signature',
  'authorization',
  '*.authorization',
  'api_key',
  '*.api_key',
  'headers',
  '*.headers',
  'body',
  '*.body',
];

/**
 * The process's root logger. JSON lines (`time`, `level` by name, `app`, `msg`, and `trace_id` /
 * `span_id` inside a span) for collectors; readable text in a terminal. Written synchronously: a
 * line logged right before the process exits is not lost, and only events worth a line are
 * logged (no access log per request).
 */
export function createRootLogger(options: LoggingOptions): PinoLogger {
  const settings: LoggerOptions = {
    level: options.level === 'log' ? 'info' : options.level,
    base: { app: options.app, pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: activeTraceFields,
  };
  if (options.format === 'text') {
    return pino(
      settings,
      pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), ignore: 'pid,app', messageKey: 'msg' }),
    );
  }
  return pino(settings, pino.destination({ dest: 1, sync: true }));
}

/** `trace_id` and `span_id` of the span a line is written in, if any. */
export function activeTraceFields(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId };
}

/** JSON when stdout is not a terminal (a file, a pipe, a collector), text when a person reads it. */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? 'text' : 'json';
}
