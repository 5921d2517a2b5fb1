import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { METRICS_CONTENT_TYPE, metricsText } from '@hub/telemetry';
import { PublicRoute } from '../openapi.js';

/**
 * Prometheus' scrape target. Unauthenticated like /health: it carries counts, never payloads or
 * tenant names (tenant ids only with METRICS_TENANT_LABELS); keep the port off the public internet.
 */
@Controller('metrics')
@PublicRoute()
export class MetricsController {
  @Get()
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  scrape(): Promise<string> {
    return metricsText();
  }
}
