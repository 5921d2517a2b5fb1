/**
 * Field-level differences between two versions of a document: one row per leaf that was added,
 * removed or changed, named by its path (`designs[0].summary.kw_stc`). Objects are compared key by
 * key, arrays index by index; any other value (and a value whose kind changed, say an object that
 * became a string) is compared whole.
 */
export type DiffKind = 'added' | 'removed' | 'changed';

export interface FieldDiff {
  path: string;
  kind: DiffKind;
  before?: unknown;
  after?: unknown;
}

export function diffDocuments(before: unknown, after: unknown): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  walk('', before, after, diffs);
  return diffs;
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function walk(path: string, before: unknown, after: unknown, diffs: FieldDiff[]): void {
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++)
      step(`${path}[${i}]`, i < before.length, before[i], i < after.length, after[i], diffs);
    return;
  }
  if (isContainer(before) && isContainer(after) && !Array.isArray(before) && !Array.isArray(after)) {
    const keys = [...Object.keys(before), ...Object.keys(after).filter((key) => !Object.hasOwn(before, key))];
    for (const key of keys)
      step(
        path ? `${path}.${key}` : key,
        Object.hasOwn(before, key),
        before[key],
        Object.hasOwn(after, key),
        after[key],
        diffs,
      );
    return;
  }
  if (!sameValue(before, after)) diffs.push({ path: path || '(document)', kind: 'changed', before, after });
}

function step(
  path: string,
  hadBefore: boolean,
  before: unknown,
  hasAfter: boolean,
  after: unknown,
  diffs: FieldDiff[],
): void {
  if (hadBefore && !hasAfter) diffs.push({ path, kind: 'removed', before });
  else if (!hadBefore && hasAfter) diffs.push({ path, kind: 'added', after });
  else walk(path, before, after, diffs);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (isContainer(a) || isContainer(b)) return JSON.stringify(a) === JSON.stringify(b);
  return Object.is(a, b);
}

/** A value as one short line for a diff cell. */
export function showValue(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
