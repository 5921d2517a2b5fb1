import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trace a delivery belongs to: the W3C headers (`traceparent`, `tracestate`) of the span that
 * matched it, so that each of its attempts, however much later, is a span of the provider's trace
 * and the subscriber's tracing joins it. Null when tracing was off at matching time (and for
 * deliveries matched before this column existed): their attempts then start a trace of their own.
 */
export class DeliveryTraceContext1732262400302 implements MigrationInterface {
  name = 'DeliveryTraceContext1732262400302';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE deliveries ADD COLUMN trace_context jsonb');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE deliveries DROP COLUMN trace_context');
  }
}
