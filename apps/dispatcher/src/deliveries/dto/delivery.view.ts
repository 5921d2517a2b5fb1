import type { DeliveryStatus } from '../delivery.repository.js';

export interface AttemptView {
  id: string;
  attempted_at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  /** The first 1 KiB of the answer. */
  response_body: string;
}

export interface DeliveryView {
  id: string;
  subscription_id: string;
  change_id: string;
  event_type: string;
  subject: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
  attempts: AttemptView[];
}
