import { Logger } from 'nestjs-pino';

/**
 * Nest's own start-up chatter: a line per module, per controller and per route at every start.
 * Useful when wiring is in doubt, noise otherwise, so these contexts write at debug.
 */
const STARTUP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'NestMicroservice',
]);

/**
 * nestjs-pino's Nest logger, with Nest's start-up contexts demoted from info to debug (nestjs-pino
 * has no per-context level). Nest passes the context as the last argument.
 */
export class QuietStartupLogger extends Logger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    if (STARTUP_CONTEXTS.has(String(optionalParams[optionalParams.length - 1]))) {
      super.debug(message, ...optionalParams);
      return;
    }
    super.log(message, ...optionalParams);
  }
}
