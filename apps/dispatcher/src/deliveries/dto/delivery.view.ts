import { ApiProperty } from '@nestjs/swagger';
import type { DeliveryStatus } from '../delivery.repository.js';

const TIME = { type: String, format: 'date-time' } as const;
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'sending', 'succeeded', 'failed'];

export class AttemptView {
  @ApiProperty()
  id: string;

  @ApiProperty(TIME)
  attempted_at: string;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null: no answer (see error)' })
  status_code: number | null;

  @ApiProperty({ type: 'integer' })
  duration_ms: number;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;

  /** The first 1 KiB of the answer. */
  @ApiProperty({ description: 'the first 1 KiB of the answer' })
  response_body: string;
}

export class DeliveryView {
  @ApiProperty({ example: 'dlv_0f3c…' })
  id: string;

  @ApiProperty()
  subscription_id: string;

  @ApiProperty()
  change_id: string;

  @ApiProperty({ example: 'project.updated' })
  event_type: string;

  @ApiProperty({ description: 'the entity the change is about' })
  subject: string;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @ApiProperty({ type: 'integer' })
  attempt_count: number;

  @ApiProperty({ ...TIME, nullable: true })
  next_attempt_at: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  last_status_code: number | null;

  @ApiProperty({ type: String, nullable: true })
  last_error: string | null;

  @ApiProperty(TIME)
  created_at: string;

  @ApiProperty({ ...TIME, nullable: true })
  completed_at: string | null;

  @ApiProperty({ type: [AttemptView], description: 'oldest first' })
  attempts: AttemptView[];
}

export class ReplayView {
  @ApiProperty()
  subscription_id: string;

  @ApiProperty(TIME)
  since: string;

  @ApiProperty(TIME)
  until: string;

  @ApiProperty({
    type: 'integer',
    description: 'deliveries queued again; in a dry run, how many would have been',
  })
  replayed: number;

  @ApiProperty({ description: 'true: nothing was queued' })
  dry_run: boolean;
}
