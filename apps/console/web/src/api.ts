/**
 * The console's only way out: the three public APIs, through the console server on this origin,
 * with the user's API key. The key lives in session storage (gone when the tab closes), never in
 * a URL, local storage or a log line.
 */
const KEY_NAME = 'solar-hub.api-key';
export const SIGNED_OUT_EVENT = 'solar-hub:signed-out';

export function storedApiKey(): string | null {
  return sessionStorage.getItem(KEY_NAME);
}

export function storeApiKey(key: string): void {
  sessionStorage.setItem(KEY_NAME, key);
}

/** `reason` tells the sign-in page why (a refused key, or the user's own choice). */
export function signOut(reason: 'refused' | 'user'): void {
  sessionStorage.removeItem(KEY_NAME);
  window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT, { detail: reason }));
}

/** An answer other than 2xx, as the API's problem+json describes it. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export async function api<T>(method: Method, path: string, body?: unknown, key = storedApiKey()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers['authorization'] = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      credentials: 'omit',
    });
  } catch {
    throw new ApiProblem(0, 'No answer', 'the console server could not be reached');
  }
  if (response.status === 401 && key === storedApiKey()) signOut('refused');
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const remove = (path: string) => api<void>('DELETE', path);

/** A path with its query: empty values are left out. */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function problemOf(response: Response): Promise<ApiProblem> {
  const body = (await response.json().catch(() => ({}))) as { title?: unknown; detail?: unknown };
  const title = typeof body.title === 'string' ? body.title : response.statusText || 'Error';
  const detail = typeof body.detail === 'string' ? body.detail : undefined;
  return new ApiProblem(response.status, title, detail);
}
