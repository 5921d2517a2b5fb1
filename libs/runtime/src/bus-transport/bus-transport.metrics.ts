import { Counter, Histogram } from 'prom-client';
import type { ConsumedMessage } from '@hub/bus';
import { LATENCY_BUCKETS } from '@hub/telemetry';

/** Why a message went to the dead-letter topic: its lane could not decode it, or it failed on its own. */
export type DeadLetterReason = 'invalid' | 'poison';

/** A message a lane's committed transaction dead-lettered. */
export interface DeadLettered {
  message: ConsumedMessage;
  reason: DeadLetterReason;
}

const messagesHandled = new Counter({
  name: 'hub_bus_messages_handled_total',
  help: 'Messages of committed batches, by consumer group, topic and outcome (handled or dead_lettered).',
  labelNames: ['group', 'topic', 'outcome'] as const,
});

const handlerDuration = new Histogram({
  name: 'hub_bus_handler_duration_seconds',
  help: 'Batches handled and committed, by consumer group: decoding, the handler, dead letters and commit.',
  labelNames: ['group'] as const,
  buckets: LATENCY_BUCKETS,
});

const deadLetters = new Counter({
  name: 'hub_bus_dead_letters_total',
  help: 'Messages put on the dead-letter topic by a consumer, by group, topic and reason (invalid or poison).',
  labelNames: ['group', 'topic', 'reason'] as const,
});

/**
 * Counts one batch of a lane once it has committed (a batch that fails comes again and is counted
 * then): each message handled or dead-lettered, and how long the batch took.
 */
export function countCommittedBatch(
  group: string,
  messages: ConsumedMessage[],
  deadLettered: readonly DeadLettered[],
  busyMs: number,
): void {
  handlerDuration.observe({ group }, busyMs / 1000);
  const lettersByTopic = new Map<string, number>();
  for (const { message, reason } of deadLettered) {
    deadLetters.inc({ group, topic: message.topic, reason });
    lettersByTopic.set(message.topic, (lettersByTopic.get(message.topic) ?? 0) + 1);
  }
  for (const [topic, count] of messagesByTopic(messages)) {
    const letters = lettersByTopic.get(topic) ?? 0;
    if (count > letters) messagesHandled.inc({ group, topic, outcome: 'handled' }, count - letters);
    if (letters > 0) messagesHandled.inc({ group, topic, outcome: 'dead_lettered' }, letters);
  }
}

/** A batch holds one topic's messages or a few topics': one count per topic, not per message. */
function messagesByTopic(messages: ConsumedMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { topic } of messages) counts.set(topic, (counts.get(topic) ?? 0) + 1);
  return counts;
}
