import { defineContract, type MessageContract } from '../contract.js';
import { exactly, INTEGER, ISO_TIME, matching, TEXT } from '../rules.js';

export const DEAD_LETTER_CONTENT_TYPE = 'application/json';

/**
 * What a consumer puts on the dead-letter topic for a message it can never handle: where the
 * message was, why it failed, and the message itself, so it can be inspected and replayed.
 */
export interface DeadLetter {
  group: string;
  topic: string;
  partition: number;
  offset: string;
  error: string;
  attempts: 1;
  failed_at: string;
  /** The message as it was read (UTF-8). */
  value: string;
}

export const DEAD_LETTER_RULES = {
  group: TEXT,
  topic: TEXT,
  partition: INTEGER,
  offset: matching(/^\d+$/, 'must be an offset (decimal digits)'),
  error: TEXT,
  attempts: exactly(1),
  failed_at: ISO_TIME,
  value: TEXT,
};

export const DeadLetterContract: MessageContract<DeadLetter> = defineContract<DeadLetter>({
  name: 'DeadLetter',
  contentType: DEAD_LETTER_CONTENT_TYPE,
  what: 'a dead letter',
  rules: DEAD_LETTER_RULES,
});

/** Where the failed message was, and what it held. */
export interface FailedMessage {
  topic: string;
  partition: number;
  offset: string;
  value: Buffer;
}

/** The one place a dead letter is assembled (members in this order on the bus). */
export function buildDeadLetter(group: string, message: FailedMessage, error: string): DeadLetter {
  return {
    group,
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    error,
    // A verdict is made once, on the message's own failure (applyIsolatingPoison): always 1.
    attempts: 1,
    failed_at: new Date().toISOString(),
    value: message.value.toString('utf8'),
  };
}
