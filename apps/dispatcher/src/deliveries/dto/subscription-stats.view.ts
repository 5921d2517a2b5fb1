import { ApiProperty } from '@nestjs/swagger';
import type { SubscriptionStatus } from '../../subscriptions/subscription.repository.js';
import { WINDOW_NAMES, type StatsWindow } from './subscription-stats.query.js';

export class DeliveryCountsView {
  @ApiProperty({ type: 'integer' })
  succeeded: number;

  @ApiProperty({ type: 'integer' })
  failed: number;

  @ApiProperty({ type: 'integer', description: 'not finished yet: waiting, retrying or being sent' })
  pending: number;
}

export class LatencyView {
  @ApiProperty({ type: Number, nullable: true, description: 'null: no successful attempt in the window' })
  p50: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'null: no successful attempt in the window' })
  p95: number | null;
}

export class LastFailureView {
  @ApiProperty({ type: String, format: 'date-time' })
  at: string;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null: no answer (see error)' })
  status_code: number | null;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;
}

export class SubscriptionStatsView {
  @ApiProperty()
  subscription_id: string;

  @ApiProperty({ enum: ['pending', 'active', 'disabled'] })
  status: SubscriptionStatus;

  @ApiProperty({ enum: WINDOW_NAMES })
  window: StatsWindow;

  @ApiProperty({ type: DeliveryCountsView, description: 'deliveries created in the window, by status' })
  deliveries: DeliveryCountsView;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'succeeded / (succeeded + failed); null when none finished',
  })
  success_rate: number | null;

  @ApiProperty({ type: LatencyView, description: "successful attempts' round-trip times in the window" })
  latency_ms: LatencyView;

  @ApiProperty({
    type: LastFailureView,
    nullable: true,
    description: 'the latest attempt that failed, whenever it was; null: none in the log',
  })
  last_failure: LastFailureView | null;
}
