import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PROVIDERS } from '@hub/contracts';
import { request, source } from './mapping.testing.js';
import { redactedHeaders } from './raw-request.js';
import { PROVIDER_REGISTRY } from './registry.js';

// From dist/apps/ingest/src/providers/ (compiled) back to the repository root.
const PROVIDERS_DOC = readFileSync(new URL('../../../../../docs/providers.md', import.meta.url), 'utf8');

/** The provider ids in the first column of the doc's verification table (`| \`id\` | …`). */
function documentedIds(doc: string): string[] {
  const table = doc.slice(doc.indexOf('## Verification'), doc.indexOf('## Mapping'));
  return [...table.matchAll(/^\| `([a-z0-9-]+)` +\|/gm)].map((match) => match[1]!);
}

/** The provider names the doc's mapping sections are titled with (`### Name → …`). */
function documentedNames(doc: string): string[] {
  return [...doc.slice(doc.indexOf('## Mapping')).matchAll(/^### (.+?) →/gm)].map((match) => match[1]!);
}

describe('provider registry', () => {
  test('registers every provider id under its own id', () => {
    assert.deepEqual(Object.keys(PROVIDER_REGISTRY).sort(), [...PROVIDERS].sort());
    for (const [id, provider] of Object.entries(PROVIDER_REGISTRY)) assert.equal(provider.id, id);
  });

  test('docs/providers.md documents exactly the registered providers', () => {
    const registered = Object.values(PROVIDER_REGISTRY);
    assert.deepEqual(
      documentedIds(PROVIDERS_DOC).sort(),
      registered.map((p) => p.id).sort(),
      'verification table',
    );
    assert.deepEqual(
      documentedNames(PROVIDERS_DOC).sort(),
      registered.map((p) => p.name).sort(),
      'mapping sections',
    );
  });

  test('the doc checks see a provider missing from, or extra in, the doc', () => {
    const withoutObserver = PROVIDERS_DOC.replace(/^\| `observer` .*\n/m, '').replace(
      /^### Observer →/m,
      '#### ',
    );
    assert.ok(!documentedIds(withoutObserver).includes('observer'));
    assert.ok(!documentedNames(withoutObserver).includes('Observer'));
    assert.ok(documentedIds(PROVIDERS_DOC).includes('observer'));
    assert.ok(documentedNames(PROVIDERS_DOC).includes('Observer'));
  });

  test("a raw delivery keeps every provider's signature headers and redacts every provider's secret headers", () => {
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'ua',
      'x-pylon-observer-signature': 'a',
      'x-pylon-observer-timestamp': '1',
      'x-observer-signature': 'sha256=b',
      'webhook-id': 'id',
      'webhook-timestamp': '2',
      'webhook-signature': 'v1,c',
      'x-webhook-secret': 'shared',
      authorization: 'Token t',
      cookie: 'dropped',
      'x-forwarded-for': 'dropped',
    };
    for (const provider of PROVIDERS) {
      assert.deepEqual(
        redactedHeaders(source(provider), { ...request, headers }),
        {
          'content-type': 'application/json',
          'user-agent': 'ua',
          'x-pylon-observer-signature': 'a',
          'x-pylon-observer-timestamp': '1',
          'x-observer-signature': 'sha256=b',
          'webhook-id': 'id',
          'webhook-timestamp': '2',
          'webhook-signature': 'v1,c',
          'x-webhook-secret': '[redacted]',
          authorization: '[redacted]',
        },
        provider,
      );
    }
  });
});
