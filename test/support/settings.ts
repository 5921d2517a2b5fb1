import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getMetadataStorage } from 'class-validator';

/**
 * Where the settings classes live: every `*.config.ts` of the apps, the libraries and tools/
 * (PlatformConfig, each app's config, the launcher's). A new settings file is found by its name.
 */
const SETTINGS_ROOTS = ['apps', 'libs', 'tools'];

/** Settings read outside the settings classes, with the file that reads each. */
export const SETTINGS_READ_ELSEWHERE: Readonly<Record<string, string>> = {
  // The OpenTelemetry SDK reads its own OTEL_* variables; this one turns tracing on.
  OTEL_EXPORTER_OTLP_ENDPOINT: 'libs/telemetry/src/tracing.ts',
};

function settingsSourceFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) settingsSourceFiles(full, found);
    else if (entry.endsWith('.config.ts')) found.push(full);
  }
  return found;
}

function isClass(value: unknown): value is new () => object {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

/**
 * A class's setting names: the properties its decorators (and its parents') validate, from
 * class-validator's own metadata, plus any property with a default (one without a validator).
 */
function settingNamesOf(settings: new () => object): string[] {
  const validated = getMetadataStorage()
    .getTargetValidationMetadatas(settings, '', true, false)
    .map((metadata) => metadata.propertyName);
  return [...new Set([...validated, ...Object.keys(new settings())])];
}

/** Every setting a settings class declares, with the classes that declare it (by name). */
export async function declaredSettings(): Promise<Map<string, string[]>> {
  const declared = new Map<string, string[]>();
  const files = SETTINGS_ROOTS.flatMap((root) => settingsSourceFiles(root)).sort();
  for (const file of files) {
    const compiled = path.resolve('dist', file.replace(/\.ts$/, '.js'));
    const exports = (await import(pathToFileURL(compiled).href)) as Record<string, unknown>;
    for (const settings of Object.values(exports).filter(isClass)) {
      for (const name of settingNamesOf(settings))
        declared.set(name, [...(declared.get(name) ?? []), settings.name]);
    }
  }
  return declared;
}

/** Every setting name an operator may set: the classes' and those read elsewhere. */
export async function knownSettingNames(): Promise<Set<string>> {
  return new Set([...(await declaredSettings()).keys(), ...Object.keys(SETTINGS_READ_ELSEWHERE)]);
}
