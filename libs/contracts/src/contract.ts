/** One field's rule: a cheap test, and what the field must be, in words, for when it fails. */
export interface FieldRule {
  test(value: unknown): boolean;
  /** Completes "`field` …", e.g. `must be a UUID`. */
  says: string;
}

/** Field → rule: the one list of a message's rules, read by its fast and its explaining check. */
export type RuleTable = Readonly<Record<string, FieldRule>>;

/** A consumed message parsed: the typed message, or why it is not one. */
export type Parsed<T> = { value: T } | { error: string };

/**
 * Everything a producer, a consumer or a transport needs to know about one message type: its name
 * (the AsyncAPI message), its content type, its rules, and the checks built from them.
 */
export interface MessageContract<T> {
  readonly name: string;
  readonly contentType: string;
  readonly rules: RuleTable;
  /** The fast check, for every message: true when every rule holds. */
  is(body: Record<string, unknown>): boolean;
  /** Why `body` is not this message (its first broken rule), or null when it is one. */
  problem(body: Record<string, unknown>): string | null;
  /** JSON text → the message, or why not: what a consumer runs on each message it reads. */
  parse(value: Buffer): Parsed<T>;
}

export interface ContractSpec {
  name: string;
  contentType: string;
  /** Names the message in problems: `not ${what}: …`. */
  what: string;
  rules: RuleTable;
}

/** A contract whose checks all read `spec.rules`, so they cannot disagree. */
export function defineContract<T>(spec: ContractSpec): MessageContract<T> {
  // Compiled once into arrays: the fast check runs per message and walks them without allocating.
  const fields = Object.keys(spec.rules);
  const tests = fields.map((field) => spec.rules[field]!.test);
  const is = (body: Record<string, unknown>): boolean => {
    for (let i = 0; i < fields.length; i++) if (!tests[i]!(body[fields[i]!])) return false;
    return true;
  };
  const problem = (body: Record<string, unknown>): string | null => {
    if (is(body)) return null;
    const broken = fields.find((field) => !spec.rules[field]!.test(body[field]));
    return `not ${spec.what}: ${broken} ${spec.rules[broken!]!.says}`;
  };
  return {
    name: spec.name,
    contentType: spec.contentType,
    rules: spec.rules,
    is,
    problem,
    parse: (value) => parseWith<T>(value, problem),
  };
}

/** A consumed message's value as JSON text, as an object, then through `problem`. */
export function parseWith<T>(
  value: Buffer,
  problem: (body: Record<string, unknown>) => string | null,
): Parsed<T> {
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch {
    return { error: 'the message is not JSON' };
  }
  if (!isRecord(body)) return { error: 'the message is not a JSON object' };
  const broken = problem(body);
  return broken ? { error: broken } : { value: body as T };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
