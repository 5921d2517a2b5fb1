import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SourceStatsBuffer } from './source-stats.buffer.js';
import type { SourceRepository, SourceStatsDelta } from './source.repository.js';

/**
 * A database that refuses one write at a chosen moment cannot be had reliably, so a stand-in
 * repository fails the first write and records the rest; the real write is covered by the ingest
 * tests against Postgres.
 */
function failingOnce() {
  const written: SourceStatsDelta[][] = [];
  let failed = false;
  const repository = {
    addStats: async (deltas: SourceStatsDelta[]) => {
      if (!failed) {
        failed = true;
        throw new Error('connection terminated');
      }
      written.push(structuredClone(deltas));
    },
  } as unknown as SourceRepository;
  return { repository, written };
}

describe('source stats buffer', () => {
  test('counts that could not be written are kept and added to the next write', async () => {
    const { repository, written } = failingOnce();
    const buffer = new SourceStatsBuffer(repository);
    const source = { tenantId: 't', sourceId: 'src_a' };
    buffer.accepted(source);
    buffer.rejected(source, 'unauthorized_signature', 'first');
    await buffer.flush();
    assert.equal(written.length, 0, 'the first write failed');
    buffer.accepted(source);
    buffer.rejected(source, 'unauthorized_signature', 'second');
    await buffer.flush();
    assert.equal(written.length, 1);
    const [delta] = written[0]!;
    assert.equal(delta!.accepted, 2);
    assert.equal(delta!.rejected['unauthorized_signature']!.count, 2);
    assert.equal(delta!.rejected['unauthorized_signature']!.last_detail, 'second', 'the newer detail wins');
  });
});
