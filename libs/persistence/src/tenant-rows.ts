import { affectedBy, defineQuery, type Queryable } from './typed-query.js';

/**
 * Deletes every row of the tenant from each table, in the order given (children before the rows
 * they reference), in the caller's transaction: how many rows each table lost. Table names come
 * from code, never from input; every table named has a `tenant_id` column.
 */
export async function deleteTenantRows<Table extends string>(
  db: Queryable,
  tenantId: string,
  tables: readonly Table[],
): Promise<Record<Table, number>> {
  const deleted = {} as Record<Table, number>;
  for (const table of tables)
    deleted[table] = await affectedBy(
      db,
      defineQuery<never, [string]>(`DELETE FROM ${table} WHERE tenant_id = $1`),
      [tenantId],
    );
  return deleted;
}
