import { Injectable } from '@nestjs/common';

/** Why the delivery worker should look for due deliveries now rather than at its next poll. */
export type WakeReason =
  /** Deliveries were matched, retried, replayed or a test was queued: rows became `pending`. */
  | 'deliveries-queued'
  /** Outcomes were written: under `ordering = entity` an entity's next delivery may now be claimed. */
  | 'outcomes-recorded'
  /** A slot freed while the last claim was held back by capacity. */
  | 'slot-freed'
  /** The worker stops: its loop must see that now, not after a poll interval. */
  | 'stopping';

/**
 * The one way to wake the delivery worker's loop, and its sleep between polls. A wake while the
 * loop is busy is kept, so the next sleep returns at once: nothing that made work due is missed.
 */
@Injectable()
export class SendWakeups {
  private pending = false;
  private wakeSleeper: (() => void) | null = null;

  /** Wakes the loop. Nothing here reads `reason`: it names, at each call site, why that caller wakes it. */
  ring(_reason: WakeReason): void {
    this.pending = true;
    this.wakeSleeper?.();
  }

  /** Resolves at the next ring (at once if one came since the last sleep), or after `pollMs`. */
  sleep(pollMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = null;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      this.wakeSleeper = done;
    });
  }
}
