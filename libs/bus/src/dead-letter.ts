import type { ConsumedMessage, OutgoingMessage } from './bus.port.js';

/**
 * What a consumer puts on the dead-letter topic for a message it can never handle: where the
 * message was, why it failed, and the message itself, so it can be inspected and replayed.
 */
export function deadLetterMessage(group: string, message: ConsumedMessage, error: string): OutgoingMessage {
  return {
    key: message.key,
    value: JSON.stringify({
      group,
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      error,
      // A verdict is made once, on the message's own failure (applyIsolatingPoison): always 1.
      attempts: 1,
      failed_at: new Date().toISOString(),
      value: message.value.toString('utf8'),
    }),
    headers: { 'content-type': 'application/json' },
  };
}
