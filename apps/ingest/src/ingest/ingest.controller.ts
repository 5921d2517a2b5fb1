import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblem, PublicRoute } from '@hub/runtime';
import { IngestService } from './ingest.service.js';
import { IngestAcceptedView, IngestUnmappedView } from './ingest.view.js';

/** Providers post here with their own authentication (a signature, a token); no API key. */
@Controller('v1/ingest')
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post(':sourceId')
  @HttpCode(200)
  @PublicRoute()
  @ApiConsumes('application/json')
  @ApiBody({
    description: "the provider's webhook as it sends it; its exact bytes are what its signature covers",
    schema: { type: 'object', additionalProperties: true },
  })
  @ApiExtraModels(IngestAcceptedView, IngestUnmappedView)
  @ApiOkResponse({
    description: 'received: the events it became, or kept unmapped; a handshake is answered OK',
    content: {
      'application/json': {
        schema: {
          oneOf: [{ $ref: getSchemaPath(IngestAcceptedView) }, { $ref: getSchemaPath(IngestUnmappedView) }],
        },
      },
      'text/plain': { schema: { type: 'string', enum: ['OK'] } },
    },
  })
  @ApiProblem(401, "the provider's signature or token does not verify")
  @ApiProblem(404, 'no such source')
  @ApiProblem(413, 'the body, or the events in it, over the limit')
  @ApiProblem(415, "not a content type the source's provider sends")
  @ApiProblem(429, 'the tenant is over its fair share (sources set to retry-later); see Retry-After')
  @ApiProblem(503, 'the event bus cannot take it now; retry later (Retry-After)')
  async receive(
    @Param('sourceId') sourceId: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<IngestAcceptedView | IngestUnmappedView | string> {
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
