import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApps, type RunningApps } from '../support/app-process.js';
import { eventually } from '../support/collector.js';
import { stopEmbeddedTestServer } from '../support/database.js';
import { scrape, samplesOf } from '../support/prometheus.js';
import { TEST_GROUP_IDS } from '../support/topic-prefix.js';
import { postgresLogFixture, type TransportFixture } from '../support/transports.js';

/**
 * A scrape reads the projector's consumer lag (two groups, three topics each) on the Postgres log,
 * where each reading is two queries on the app's own pool. Read all at once, the readings took up
 * to ten of its connections at every scrape, which the pool closed again after 10 s idle: each
 * scrape opened new backends. Read one topic after another, the lag needs two at most, and the
 * readiness gauge, collected beside it, two more (its database and bus checks); the bound leaves
 * two for the app's own work at that moment, well under the ten the readings took at once.
 */
after(stopEmbeddedTestServer);

describe('consumer lag at scrape time [postgres-log]', { timeout: 120_000 }, () => {
  let fixture: TransportFixture;
  let running: RunningApps | undefined;

  before(async () => {
    fixture = await postgresLogFixture();
    running = await startApps(['projector'], fixture.env);
  });
  after(async () => {
    await running?.stop();
    await fixture?.close();
  });

  /** The projector's pooled connections (its bus listener and leases have names of their own). */
  const appConnections = async (): Promise<number> => {
    const rows: Array<{ n: number }> = await fixture.dataSource.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'projector'",
    );
    return rows[0]!.n;
  };

  test('every topic of both groups is read, with at most six more of the app’s connections', async () => {
    // What start-up opened (migrations, the first claims) closes after the pool's 10 s idle timeout.
    await eventually(async () => (await appConnections()) <= 2, 30_000);
    const idle = await appConnections();
    for (let i = 0; i < 3; i++) {
      const samples = await scrape(running!.urls.projector);
      for (const group of [TEST_GROUP_IDS.projector, `${TEST_GROUP_IDS.projector}.slow`]) {
        const topics = new Set(
          samplesOf(samples, 'hub_bus_consumer_lag', { group }).map((s) => s.labels['topic']),
        );
        assert.equal(topics.size, 3, `${group}: ${[...topics].join(', ')}`);
      }
    }
    const afterScrapes = await appConnections();
    assert.ok(afterScrapes - idle <= 6, `${idle} connections before the scrapes, ${afterScrapes} after`);
  });
});
