import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { TOPIC_MESSAGES, topicNames, type MessageContract } from '@hub/contracts';

/** docs/asyncapi.yaml, from the repository root (this file runs from dist/test/contracts/). */
const DOC_PATH = new URL('../../../docs/asyncapi.yaml', import.meta.url);

interface Doc {
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  components: {
    messages: Record<string, { contentType: string; payload: { $ref: string } }>;
    schemas: Record<string, { properties: Record<string, unknown> }>;
  };
}

const table = TOPIC_MESSAGES as Readonly<Record<string, ReadonlyArray<MessageContract<object>>>>;

/** Every way the document and the declared table disagree, one line each. */
function drift(doc: Doc): string[] {
  const problems: string[] = [];
  const addresses: Record<string, string> = topicNames('hub');
  for (const [key, contracts] of Object.entries(table)) {
    const channel = doc.channels[key];
    if (!channel) {
      problems.push(`topic ${key} has no channel`);
      continue;
    }
    if (channel.address !== addresses[key])
      problems.push(`channel ${key} is at ${channel.address}, not ${addresses[key]}`);
    const documented = Object.values(channel.messages).map((message) => refName(message.$ref));
    const declared = contracts.map((contract) => contract.name);
    if (!sameSet(documented, declared))
      problems.push(`channel ${key} carries ${documented.join(', ')}, the table ${declared.join(', ')}`);
    for (const contract of contracts) problems.push(...messageDrift(doc, contract));
  }
  for (const key of Object.keys(doc.channels))
    if (!(key in table)) problems.push(`channel ${key} is no topic of the table`);
  return [...new Set(problems)];
}

/** The component message a contract names: its content type, and a property for each rule. */
function messageDrift(doc: Doc, contract: MessageContract<object>): string[] {
  const message = doc.components.messages[contract.name];
  if (!message) return [`message ${contract.name} is not in components`];
  const problems: string[] = [];
  if (message.contentType !== contract.contentType)
    problems.push(`message ${contract.name} is ${message.contentType}, the contract ${contract.contentType}`);
  const schema = doc.components.schemas[refName(message.payload.$ref)];
  for (const field of Object.keys(contract.rules))
    if (!schema?.properties[field]) problems.push(`message ${contract.name} does not document ${field}`);
  return problems;
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((each) => b.includes(each));
}

function readDoc(): Doc {
  return parse(readFileSync(DOC_PATH, 'utf8')) as Doc;
}

test('docs/asyncapi.yaml documents every topic with the messages the table declares, and no other', () => {
  assert.deepEqual(drift(readDoc()), []);
});

test('the drift check finds a missing channel, an extra one, a wrong address and a wrong message', () => {
  const doc = readDoc();
  delete doc.channels['slowCustomers'];
  doc.channels['retired'] = { address: 'hub.retired', messages: {} };
  doc.channels['projects']!.address = 'hub.projects';
  doc.channels['deadLetters']!.messages = { deadLetter: { $ref: '#/components/messages/DeadLetter' } };
  delete doc.components.schemas['RawDelivery']!.properties['event_ids'];
  doc.components.messages['StateChange']!.contentType = 'application/json';
  assert.deepEqual(drift(doc).sort(), [
    'channel deadLetters carries DeadLetter, the table DeadLetter, OperationalEvent',
    'channel projects is at hub.projects, not hub.canonical.projects',
    'channel retired is no topic of the table',
    'message RawDelivery does not document event_ids',
    'message StateChange is application/json, the contract application/cloudevents+json',
    'topic slowCustomers has no channel',
  ]);
});
