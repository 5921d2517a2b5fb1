import type { LogLevel } from '@nestjs/common';
import type { PlatformConfig } from '@hub/config';

/** What each LOG_LEVEL lets through. */
export const LOG_LEVELS: Record<PlatformConfig['LOG_LEVEL'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};
