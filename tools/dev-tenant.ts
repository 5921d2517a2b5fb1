import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { ApiKeyRepository, TenancyService, TenantRepository, type CreatedTenant } from '@hub/tenancy';

/**
 * The development tenant `npm start` prints a key for. Only the key's hash is in the database, so
 * the key itself is kept in `<dataDir>/dev-tenant.json` (mode 600, never committed) and reused
 * for as long as it still authenticates against this database.
 */
export async function developmentTenant(dataSource: DataSource, databaseUrl: string, dataDir: string) {
  const tenancy = new TenancyService(new TenantRepository(dataSource), new ApiKeyRepository(dataSource));
  const file = path.resolve(
    dataDir,
    `dev-tenant-${createHash('sha256').update(databaseUrl).digest('hex').slice(0, 12)}.json`,
  );
  if (existsSync(file)) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as CreatedTenant;
    if (await tenancy.authenticate(saved.api_key)) return saved;
  }
  const created = await tenancy.createTenant('Development');
  await writeFile(file, `${JSON.stringify(created)}\n`, { mode: 0o600 });
  return created;
}
