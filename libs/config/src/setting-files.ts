import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy, type ValidationArguments } from 'class-validator';

/** A file a setting names, read once when the settings are loaded. */
export interface SettingFile {
  path: string;
  text: string;
}

/** What a file holds: PEM certificates, a PEM private key, or one secret (a Kubernetes secret's key). */
export type FileKind = 'certificate' | 'key' | 'secret';

/** Read by the transform; a file that could not be read keeps the reason for the validator. */
interface ReadFile {
  path: string;
  text?: string;
  problem?: string;
}

/**
 * A setting naming a file that is read while the settings load, so a missing, unreadable or
 * malformed file stops start-up with the setting's name instead of failing at the first connect.
 */
export function fileSetting(kind: FileKind): (target: object, property: string) => void {
  const decorators = [
    IsOptional(),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? readSettingFile(value, kind) : value,
    ),
    ValidateBy({
      name: 'readableFile',
      validator: {
        validate: (value: unknown) => typeof (value as ReadFile | undefined)?.text === 'string',
        defaultMessage: (args?: ValidationArguments) => {
          const file = args?.value as ReadFile | undefined;
          return file?.problem ? `cannot use ${file.path}: ${file.problem}` : 'must be a file path';
        },
      },
    }),
  ];
  return (target, property) => decorators.forEach((decorate) => decorate(target, property));
}

function readSettingFile(path: string, kind: FileKind): ReadFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { path, problem: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
  // `echo secret > file` and most editors end the file with a newline that is no part of it.
  if (kind === 'secret') text = text.replace(/[\r\n]+$/, '');
  if (text.trim() === '') return { path, problem: 'the file is empty' };
  const problem = kind === 'secret' ? undefined : pemProblem(text, kind);
  return problem ? { path, problem } : { path, text };
}

/** Parsed by Node's own crypto, which is what the TLS connection will use. */
function pemProblem(text: string, kind: 'certificate' | 'key'): string | undefined {
  try {
    if (kind === 'certificate') new X509Certificate(text);
    else createPrivateKey(text);
    return undefined;
  } catch {
    return kind === 'certificate'
      ? 'not a PEM certificate'
      : 'not an unencrypted PEM private key (a key with a passphrase is not supported)';
  }
}

/** Whether a PEM certificate and a PEM private key belong together. */
export function isKeyOf(certificate: SettingFile, key: SettingFile): boolean {
  return new X509Certificate(certificate.text).checkPrivateKey(createPrivateKey(key.text));
}

/**
 * A rule over this setting and the others: `check` returns what is wrong, or undefined. It also
 * runs when the setting is unset, so a rule can require it.
 */
export function settingRule(
  name: string,
  check: (value: unknown, settings: Record<string, unknown>) => string | undefined,
): PropertyDecorator {
  const run = (args?: ValidationArguments) =>
    check(args?.value, (args?.object ?? {}) as Record<string, unknown>);
  return ValidateBy({
    name,
    validator: {
      validate: (_value: unknown, args?: ValidationArguments) => run(args) === undefined,
      defaultMessage: (args?: ValidationArguments) => run(args) ?? 'invalid',
    },
  });
}
