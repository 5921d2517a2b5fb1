import { after, test } from 'node:test';
import { parseCanonicalEvent, type CanonicalEvent } from '@hub/contracts';
import { ProjectionRepository } from '../../apps/projector/src/projection/projection.repository.js';
import { ProjectionService } from '../../apps/projector/src/projection/projection.service.js';
import { UnifiedRepository } from '../../apps/projector/src/unified/unified.repository.js';
import { UnifiedService } from '../../apps/projector/src/unified/unified.service.js';
import { openLifecycleDatabase } from '../lifecycle/lifecycle-fixtures.js';
import { canonicalEvent } from '../support/canonical-events.js';
import { stopEmbeddedTestServer } from '../support/database.js';

after(stopEmbeddedTestServer);

const timings = new Map<string, number>();
function timed(repo: UnifiedRepository): UnifiedRepository {
  const proto = UnifiedRepository.prototype as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const original = proto[name] as (...a: unknown[]) => Promise<unknown>;
    (repo as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const t = process.hrtime.bigint();
      try {
        return await original.apply(repo, args);
      } finally {
        timings.set(name, (timings.get(name) ?? 0) + Number(process.hrtime.bigint() - t) / 1e6);
      }
    };
  }
  return repo;
}

test('cost', async () => {
  const db = await openLifecycleDatabase();
  for (const [name, enabled, tenant] of [
    ['off', false, db.tenantA],
    ['on', true, db.tenantB],
    ['off', false, db.tenantA],
    ['on', true, db.tenantB],
  ] as const) {
    const projection = new ProjectionService(new ProjectionRepository(), new UnifiedService(timed(new UnifiedRepository()), { enabled }));
    const events: CanonicalEvent[] = [];
    const run = `${name}${Date.now()}`;
    const customers = process.env['CUSTOMERS'];
    if (customers)
      for (let p = 0; p < 2500; p++)
        for (const provider of ['opensolar', 'solarproof']) {
          const e = canonicalEvent({ tenant, provider, type: 'customer.upserted', externalId: `${run}-${p}`, data: { first_name: `N${p}`, last_name: provider, email: `p${p}.${run}@example.com`, phone: null } });
          const parsed = parseCanonicalEvent(Buffer.from(JSON.stringify(e)));
          if ('value' in parsed) events.push(parsed.value);
        }
    else
    for (let v = 0; v < 5; v++)
      for (let p = 0; p < 1000; p++) {
        const e = canonicalEvent({ tenant, externalId: `${run}-${p}`, data: { stage: `s${v}`, reference_number: `R${run}-${p}`, designs: [{ id: p, kw: v }] } });
        const parsed = parseCanonicalEvent(Buffer.from(JSON.stringify(e)));
        if ('value' in parsed) events.push(parsed.value);
      }
    if (process.env['ANALYZE_FIRST'] && name === 'on') {
      // grow then analyze: the first 'on' run seeds, the analyze happens after it
    }
    const started = process.hrtime.bigint();
    for (let i = 0; i < events.length; i += 500)
      await db.dataSource.transaction((m) => projection.applyBatch(m, events.slice(i, i + 500)));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(JSON.stringify(Object.fromEntries([...timings].map(([k, v]) => [k, Math.round(v)]))));
    timings.clear();
    if (process.env['ANALYZE_FIRST']) await db.dataSource.query('ANALYZE unified_link_keys, unified_links, unified_decisions, unified_records');
    console.log(`${name}: ${events.length} events in ${ms.toFixed(0)} ms = ${(events.length / (ms / 1000)).toFixed(0)} events/s`);
  }
  const refs = (await db.dataSource.query(`SELECT tenant_id, kind, member_id FROM unified_links WHERE tenant_id = $1 LIMIT 500`, [db.tenantB])) as Array<{ tenant_id: string; kind: string; member_id: string }>;
  const text = (UnifiedRepository.prototype.neighbours.toString().match(/`([\s\S]*?)`/) ?? [])[1]!;
  const plan = (await db.dataSource.query(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, [refs.map((r) => r.tenant_id), refs.map((r) => r.kind), refs.map((r) => r.member_id)])) as Array<Record<string, string>>;
  console.log(plan.map((row) => Object.values(row)[0]).join('\n'));
  await db.close();
});
