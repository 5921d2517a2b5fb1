import type { Consumer } from 'kafkajs';

/**
 * Follows whether a kafkajs consumer is in its group: from each join (the first, and the rejoin
 * after a crash, see ConsumerRestarts) until it crashes or stops. Events rather than the promise of
 * `run()`, which also resolves after a failed join (kafkajs reports that as a crash).
 */
export function consumerRunning(consumer: Consumer): () => boolean {
  let running = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (running = true));
  consumer.on(consumer.events.CRASH, () => (running = false));
  consumer.on(consumer.events.STOP, () => (running = false));
  return () => running;
}
