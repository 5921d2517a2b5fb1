type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The field paths that differ between two documents, in the dotted grammar subscriptions filter
 * on (OpenSolar's): `project.stage`, `project.systems.modules`. Array positions are not part of a
 * path: a change inside any element of `systems` is a change of `project.systems.<field>`.
 * Paths are sorted and unique.
 */
export function changedPaths(previous: unknown, next: unknown, root: string): string[] {
  const paths = new Set<string>();
  collect(previous as Json | undefined, next as Json | undefined, root, paths);
  return [...paths].sort();
}

function collect(a: Json | undefined, b: Json | undefined, path: string, into: Set<string>): void {
  if (deepEqual(a, b)) return;
  if (isObject(a) || isObject(b)) {
    const left = isObject(a) ? a : {};
    const right = isObject(b) ? b : {};
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    if (keys.size === 0) into.add(path);
    for (const key of keys) collect(left[key], right[key], `${path}.${key}`, into);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].every(isObject)) {
    // Element-wise, so a change inside systems[0] reads as project.systems.<field>.
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i++) collect(a[i], b[i], path, into);
    return;
  }
  into.add(path);
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => deepEqual(item, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((key) => key in right && deepEqual(left[key], right[key]))
  );
}
