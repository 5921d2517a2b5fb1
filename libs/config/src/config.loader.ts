import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** A setting is missing or malformed. The message starts with the setting's name. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Constructor<T> = new () => T;

/**
 * Reads and validates one app's settings from the environment, once, at start-up. Unknown
 * variables are ignored; every problem is reported by the variable's name.
 */
export function loadConfig<T extends object>(
  schema: Constructor<T>,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const config = plainToInstance(schema, present, { exposeDefaultValues: true });
  const errors = validateSync(config, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(errors.map(describeError).join('; '));
  return config;
}

function describeError(error: ValidationError): string {
  const reasons = Object.values(error.constraints ?? {});
  return `${error.property}: ${reasons.join(', ') || 'invalid'}`;
}
