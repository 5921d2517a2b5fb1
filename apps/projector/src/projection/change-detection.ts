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

/** Adds the paths that differ under `path`; true when `a` and `b` differ at all. */
function collect(a: Json | undefined, b: Json | undefined, path: string, into: Set<string>): boolean {
  if (a === b) return false;
  if (isObject(a) && isObject(b)) {
    // No deepEqual first: each key compares itself, so every subtree is walked once, not once per
    // level above it. Two equal objects yield no path either way ({} and {} have no keys).
    let differs = false;
    for (const key of Object.keys(a)) {
      const after = own(b, key);
      if (a[key] !== after && collect(a[key], after, `${path}.${key}`, into)) differs = true;
    }
    for (const key of Object.keys(b)) {
      if (!Object.hasOwn(a, key) && collect(undefined, b[key], `${path}.${key}`, into)) differs = true;
    }
    return differs;
  }
  if (deepEqual(a, b)) return false;
  if (isObject(a) || isObject(b)) {
    const left = isObject(a) ? a : {};
    const right = isObject(b) ? b : {};
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    if (keys.size === 0) into.add(path);
    for (const key of keys) collect(left[key], right[key], `${path}.${key}`, into);
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].every(isObject)) {
    // Element-wise, so a change inside systems[0] reads as project.systems.<field>.
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i++) collect(a[i], b[i], path, into);
    return true;
  }
  into.add(path);
  return true;
}

/** The object's own value for `key`: a document's missing key is never its prototype's member. */
function own(object: { [key: string]: Json }, key: string): Json | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
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

/** What turns one version's document into the next: top-level keys set (whole values) and removed. */
export interface DocumentPatch {
  set: Record<string, unknown>;
  /** Sorted, so the same change is stored the same way however the documents were built. */
  unset: string[];
}

/**
 * changedPaths() of two versions of a document, and the top-level patch from one to the other:
 * `next` is `previous` without `unset`, with `set` merged over it (Postgres:
 * `(previous - unset) || set`). One walk gives both: a top-level key is in the patch exactly when
 * its subtree yielded a changed path.
 */
export function diffDocuments(
  previous: Record<string, unknown>,
  next: Record<string, unknown>,
  root: string,
): { paths: string[]; patch: DocumentPatch } {
  const paths = new Set<string>();
  const set: Array<[string, unknown]> = [];
  const unset: string[] = [];
  for (const key of Object.keys(previous)) {
    const before = previous[key] as Json;
    const after = own(next as { [key: string]: Json }, key);
    if (before === after || !collect(before, after, `${root}.${key}`, paths)) continue;
    if (after === undefined) unset.push(key);
    else set.push([key, after]);
  }
  for (const key of Object.keys(next)) {
    if (!Object.hasOwn(previous, key) && collect(undefined, next[key] as Json, `${root}.${key}`, paths))
      set.push([key, next[key]]);
  }
  // fromEntries defines own properties, so a `__proto__` key of a parsed document stays a key.
  return { paths: [...paths].sort(), patch: { set: Object.fromEntries(set), unset: unset.sort() } };
}
