/**
 * Restarts a crashed Kafka consumer until its subscription is closed, and never after.
 *
 * kafkajs restarts a crashed consumer by itself, but it decides to do so only after it has left
 * the group, which takes seconds while the broker is unreachable. A `disconnect()` made in that
 * window returns at once and the restart timer is armed afterwards, so the "closed" consumer comes
 * back and, once its broker is gone for good, retries forever and keeps its process alive. We turn
 * kafkajs's own restart off and restart here, where closing is one flag checked at every step.
 */
export class ConsumerRestarts {
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly restart: () => Promise<void>,
    private readonly onRestartFailed: (error: unknown) => void,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Arms one restart after `delayMs`; ignored once closed or while one is already armed. */
  schedule(delayMs: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.inFlight = this.restart()
        .catch((error: unknown) => {
          this.onRestartFailed(error);
          this.schedule(delayMs);
        })
        .finally(() => (this.inFlight = undefined));
    }, delayMs);
  }

  /** No restart happens after this resolves; a restart already under way is waited for. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }
}
