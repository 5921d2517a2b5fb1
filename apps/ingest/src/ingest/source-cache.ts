import { Injectable } from '@nestjs/common';
import { SourceService, type ResolvedSource } from '../sources/source.service.js';

const TTL_MS = 1_000;
const MAX_ENTRIES = 10_000;

/**
 * Sources by id for the ingest hot path, each kept for one second: a change made through the
 * sources API is seen within a second, and a flood of requests costs one query per source per
 * second. Unknown ids are cached too, so probing random ids does not reach the database each time.
 * While the database is unreachable the last known answer is served.
 */
@Injectable()
export class SourceCache {
  private readonly entries = new Map<string, { source: ResolvedSource | null; expiresAt: number }>();

  constructor(private readonly sources: SourceService) {}

  async get(id: string): Promise<ResolvedSource | null> {
    const now = Date.now();
    const cached = this.entries.get(id);
    if (cached && cached.expiresAt > now) return cached.source;
    let source: ResolvedSource | null;
    try {
      source = await this.sources.resolveForIngest(id);
    } catch (error) {
      // The database is unreachable: a source seen recently is still good enough to verify with.
      if (cached) return cached.source;
      throw error;
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(id, { source, expiresAt: now + TTL_MS });
    return source;
  }
}
