import { buildDeadLetter, DEAD_LETTER_CONTENT_TYPE } from '@hub/contracts';
import type { ConsumedMessage, OutgoingMessage } from './bus.port.js';

/**
 * A dead letter for `message` as a message for the dead-letter topic, under the failed message's
 * key. Its shape is the contracts' DeadLetter; the bus only wraps it.
 */
export function deadLetterMessage(group: string, message: ConsumedMessage, error: string): OutgoingMessage {
  return {
    key: message.key,
    value: JSON.stringify(buildDeadLetter(group, message, error)),
    headers: { 'content-type': DEAD_LETTER_CONTENT_TYPE },
  };
}
