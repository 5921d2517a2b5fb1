/**
 * `JSON.stringify({ ...object, [key]: value })` where `json` is `JSON.stringify(value)` already:
 * a document is serialised once per version, and the entity row and the state change share it.
 */
export function withMember(object: object, key: string, json: string): string {
  const head = JSON.stringify(object).slice(0, -1);
  return `${head}${head.length > 1 ? ',' : ''}${JSON.stringify(key)}:${json}}`;
}
