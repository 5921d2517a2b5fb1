import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { METRICS_CONTENT_TYPE, metricsText } from '@hub/telemetry';

/**
 * Prometheus' scrape target. Unauthenticated like /health: it carries counts, never payloads or
 * tenant names (tenant ids only with METRICS_TENANT_LABELS); keep the port off the public internet.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return metricsText();
  }
}
