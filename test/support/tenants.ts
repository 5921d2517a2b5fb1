import { runProcess } from './app-process.js';

export interface Tenant {
  tenant_id: string;
  api_key: string;
}

/** A tenant made the way an operator makes one: `npm run cli -- tenant:create`. */
export async function createTenant(env: Record<string, string>, name: string): Promise<Tenant> {
  const cli = runProcess('dist/tools/cli.js', { DATABASE_URL: env['DATABASE_URL']! }, [
    'tenant:create',
    name,
  ]);
  const line = await cli.waitForLine(/^\{"tenant_id"/);
  const code = await cli.exited;
  if (code !== 0) throw new Error(`tenant:create exited with ${code}`);
  return JSON.parse(line) as Tenant;
}

/** POSTs JSON to a management API (sources, subscriptions) with the tenant's key; anything but 201 is an error. */
export async function postJson(
  base: string,
  apiKey: string,
  path: string,
  body: unknown,
): Promise<Record<string, string>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, string>;
}
