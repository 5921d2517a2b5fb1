import { randomBytes } from 'node:crypto';
import type { BatchHandler, ConsumedMessage, EventBus, OutgoingMessage, Subscription } from '@hub/bus';

/** Gathers what a subscription receives and lets a test wait until a condition holds. */
export class Collector {
  readonly messages: ConsumedMessage[] = [];
  private readonly waiters = new Set<() => void>();

  readonly handler: BatchHandler = async (batch) => {
    this.messages.push(...batch);
    this.waiters.forEach((wake) => wake());
  };

  values(): string[] {
    return this.messages.map((m) => m.value.toString());
  }

  async waitFor(condition: (messages: ConsumedMessage[]) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms with ${this.messages.length} messages`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 200));
        this.waiters.add(wake);
      });
    }
  }

  waitForCount(count: number, timeoutMs?: number): Promise<void> {
    return this.waitFor((messages) => messages.length >= count, timeoutMs);
  }
}

export async function collect(
  bus: EventBus,
  groupId: string,
  topics: string[],
): Promise<{ collector: Collector; subscription: Subscription }> {
  const collector = new Collector();
  const subscription = await bus.subscribe({ groupId, topics, handler: collector.handler });
  return { collector, subscription };
}

/** A name no other test uses, so tests sharing a broker never see each other's messages. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** `count` messages spread over `keys` keys, each value `<key>:<sequence within key>`. */
export function keyedMessages(count: number, keys: number): OutgoingMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const key = `key-${i % keys}`;
    return { key, value: `${key}:${Math.floor(i / keys)}` };
  });
}

/** Sleeps, for the few tests that must prove something does NOT arrive. */
export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true; fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await pause(50);
  }
}
