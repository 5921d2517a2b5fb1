import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { SourceService, type ResolvedSource } from '../sources/source.service.js';

const TTL_MS = 1_000;
/** A source asked for in its entry's last 250 ms is read again in the background. */
const REFRESH_AHEAD_MS = 250;
const MAX_ENTRIES = 10_000;
/** Most ids in one lookup query. */
const MAX_IDS_PER_LOOKUP = 500;

/**
 * Sources by id for the ingest hot path, each kept for one second: a change made through the
 * sources API is seen within a second. Unknown ids are cached too, so probing random ids does not
 * reach the database each time. While the database is unreachable the last known answer is served.
 *
 * What reaches the database is one lookup per source at a time (requests that miss while it runs
 * wait for it, where each used to send its own query), and one query for all the sources due in
 * the same turn of the event loop (DataLoader's batching). A source in use is read again in the
 * background shortly before its entry expires, so steady traffic does not wait for the lookup, and
 * no entry is served older than a second.
 */
@Injectable()
export class SourceCache {
  private readonly entries = new Map<string, { source: ResolvedSource | null; expiresAt: number }>();
  private readonly lookups = new Map<string, Promise<ResolvedSource | null>>();
  private readonly loader: DataLoader<string, ResolvedSource | null>;

  constructor(sources: SourceService) {
    // DataLoader batches; the entries above are the cache, with their expiry.
    this.loader = new DataLoader((ids) => sources.resolveAllForIngest(ids), {
      cache: false,
      maxBatchSize: MAX_IDS_PER_LOOKUP,
    });
  }

  async get(id: string): Promise<ResolvedSource | null> {
    const now = Date.now();
    const cached = this.entries.get(id);
    if (cached && cached.expiresAt > now) {
      // A failed refresh leaves the entry as it is; the lookup at expiry tries again.
      if (cached.expiresAt - now <= REFRESH_AHEAD_MS) this.lookUp(id).catch(() => undefined);
      return cached.source;
    }
    try {
      return await this.lookUp(id);
    } catch (error) {
      // The database is unreachable: a source seen recently is still good enough to verify with.
      if (cached) return cached.source;
      throw error;
    }
  }

  /** The lookup of `id` under way, or a new one; its answer is kept for TTL_MS from when it was asked. */
  private lookUp(id: string): Promise<ResolvedSource | null> {
    const running = this.lookups.get(id);
    if (running) return running;
    const askedAt = Date.now();
    const lookup = this.loader
      .load(id)
      .then((source) => {
        if (this.entries.size >= MAX_ENTRIES && !this.entries.has(id)) this.entries.clear();
        this.entries.set(id, { source, expiresAt: askedAt + TTL_MS });
        return source;
      })
      .finally(() => this.lookups.delete(id));
    this.lookups.set(id, lookup);
    return lookup;
  }
}
