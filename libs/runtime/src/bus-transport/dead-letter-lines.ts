import type { Logger } from '@nestjs/common';
import type { Rejected } from './consumer-lane.js';

/** Keys are `<tenant id>/<entity id>`; a tenant id is a UUID. */
const TENANT_OF_KEY = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\//i;
/** A reason can quote the data (a database error names the value it refused): it is cut here. */
const REASON_MAX_CHARS = 300;

/**
 * The lines of one batch's dead letters, written once the batch's transaction has committed: a
 * batch rolled back comes again and meets the same verdict, and a line per try would count one
 * dead letter several times. One error line per message: group, where it was, why, its tenant.
 */
export class DeadLetterLines {
  private pending: Rejected[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly group: string,
  ) {}

  add(rejected: Rejected[]): void {
    this.pending.push(...rejected);
  }

  discard(): void {
    this.pending = [];
  }

  write(): void {
    for (const { message, error } of this.pending) {
      const tenant = TENANT_OF_KEY.exec(message.key)?.[1];
      this.logger.error(
        {
          ...(tenant ? { tenant_id: tenant } : {}),
          group: this.group,
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          reason: error.length > REASON_MAX_CHARS ? `${error.slice(0, REASON_MAX_CHARS)}…` : error,
        },
        'message dead-lettered',
      );
    }
    this.pending = [];
  }
}
