/**
 * The field-path grammar subscriptions filter on (OpenSolar's `trigger_fields` / `payload_fields`):
 * dotted paths rooted at the entity type, `project.stage`, `project.systems.modules`, where a `*`
 * segment matches any one segment and a trailing `*` matches everything below (`project.*`).
 * Array positions are never part of a path: `project.systems.modules` reaches into every system.
 */

const SEGMENT = /^(\*|[A-Za-z0-9_-]{1,100})$/;
const MAX_SEGMENTS = 12;

/**
 * Null means "the documented defaults", as in OpenSolar's API. The default triggers are every
 * field of a provider's entities: a unified record's changes (`unified_customer.email`) reach only
 * subscriptions that name them, so subscriptions made before unified records send what they did.
 */
export const DEFAULT_TRIGGER_FIELDS: readonly string[] = ['project.*', 'customer.*', 'monitor.*'];

/**
 * The default payload follows the change's root: the whole document of whatever changed
 * (`project.*` for a project, `unified_customer.*` for a unified customer), so a subscription that
 * triggers on `unified_customer.*` gets the merged document without naming payload fields.
 */
export function defaultPayloadFields(root: string): readonly string[] {
  return [`${root}.*`];
}

/** Why a pattern is not of the grammar, or null when it is. */
export function fieldPatternProblem(pattern: unknown): string | null {
  if (typeof pattern !== 'string') return 'must be a string';
  const segments = pattern.split('.');
  if (segments.length < 2 || segments.length > MAX_SEGMENTS) {
    return `must be 2 to ${MAX_SEGMENTS} dotted segments, such as project.stage or project.*`;
  }
  if (!segments.every((segment) => SEGMENT.test(segment))) {
    return 'segments are letters, digits, _ or -, or a lone *';
  }
  if (segments[0] === '*') return 'must start with the entity type (project, customer, monitor)';
  return null;
}

/** Whether one changed path is selected by a pattern; a change below a selected field counts too. */
export function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split('.');
  const have = path.split('.');
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment === '*' && i === want.length - 1) return have.length > i;
    // The changed path ends above the pattern: a whole subtree (e.g. an array) changed.
    if (i >= have.length) return true;
    if (segment !== '*' && segment !== have[i]) return false;
  }
  return true;
}

export function anyPathMatches(patterns: readonly string[], paths: readonly string[]): boolean {
  return paths.some((path) => patterns.some((pattern) => pathMatches(pattern, path)));
}

/**
 * The part of `document` (rooted at `root`, e.g. `project`) that the patterns select, with the
 * document's own shape; arrays keep their elements, each cut down the same way.
 */
export function pickFields(
  document: Record<string, unknown>,
  root: string,
  patterns: readonly string[],
): Record<string, unknown> {
  const rest = patterns
    .map((pattern) => pattern.split('.'))
    .filter((segments) => segments[0] === root || segments[0] === '*')
    .map((segments) => segments.slice(1));
  return pick(document, rest) as Record<string, unknown>;
}

function pick(value: unknown, patterns: string[][]): unknown {
  if (patterns.some((segments) => segments.length === 0 || isTrailingStar(segments))) return value;
  if (Array.isArray(value)) return value.map((item) => pick(item, patterns));
  if (!isObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const below = patterns
      .filter((segments) => segments[0] === '*' || segments[0] === key)
      .map((segments) => segments.slice(1));
    if (below.length === 0) continue;
    const picked = pick(child, below);
    if (picked !== undefined) out[key] = picked;
  }
  return out;
}

function isTrailingStar(segments: string[]): boolean {
  return segments.length === 1 && segments[0] === '*';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
