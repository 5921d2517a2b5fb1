import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IngestService } from './ingest.service.js';

/** Providers post here with their own authentication; no API key. */
@Controller('v1/ingest')
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post(':sourceId')
  @HttpCode(200)
  async receive(
    @Param('sourceId') sourceId: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<
    { accepted: number; event_ids: string[] } | { accepted: 0; unmapped: true; reason: string } | string
  > {
    const outcome = await this.ingest.ingest(sourceId, {
      headers: request.headers,
      query: request.query as Record<string, unknown>,
      body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      contentType: request.headers['content-type'],
      receivedAt: new Date(),
    });
    if (outcome.kind === 'handshake') {
      // A provider's activation check (a handshake) passes only on a 200 whose body is OK.
      response.type('text/plain; charset=utf-8');
      return 'OK';
    }
    // Received and kept, not mapped: some providers count only a 200 as received.
    if (outcome.kind === 'unmapped') return { accepted: 0, unmapped: true, reason: outcome.reason };
    return { accepted: outcome.accepted, event_ids: outcome.event_ids };
  }
}
