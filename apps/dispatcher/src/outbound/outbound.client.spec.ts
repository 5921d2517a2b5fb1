import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { DispatcherConfig } from '../config/dispatcher.config.js';
import { OutboundClient } from './outbound.client.js';

/** The client against a real local server; only the settings object is built by hand. */
describe('outbound client', () => {
  const hits: string[] = [];
  let server: http.Server;
  let port: number;

  before(async () => {
    server = http.createServer((request, response) => {
      hits.push(request.url ?? '');
      if (request.url === '/redirect') {
        response.writeHead(302, { location: '/elsewhere' }).end();
      } else if (request.url === '/long') {
        response.writeHead(200).end('x'.repeat(5_000));
      } else {
        response.writeHead(200).end('ok');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const client = (allowPrivate: boolean) =>
    new OutboundClient({
      OUTBOUND_ALLOW_PRIVATE: allowPrivate,
      OUTBOUND_ALLOW_HTTP: true,
      DISPATCH_TIMEOUT: 2_000,
    } as DispatcherConfig);

  test('refuses at connect time a host name that resolves to loopback, so DNS cannot smuggle it in', async () => {
    const before = hits.length;
    const result = await client(false).post(`http://localhost:${port}/rebound`, {}, '{}');
    assert.equal(result.statusCode, null);
    assert.match(result.error ?? '', /refused: localhost resolves to (127\.0\.0\.1|::1)/);
    const literal = await client(false).post(`http://127.0.0.1:${port}/literal`, {}, '{}');
    assert.match(literal.error ?? '', /refused: 127\.0\.0\.1 is not a global unicast address \(loopback\)/);
    assert.equal(hits.length, before, 'nothing reached the server');
  });

  test('with OUTBOUND_ALLOW_PRIVATE still refuses cloud metadata and IPv4-compatible addresses', async () => {
    const local = client(true);
    for (const [endpoint, reason] of [
      [
        'http://169.254.169.254/latest/meta-data/',
        /refused: 169\.254\.169\.254 is a cloud metadata endpoint/,
      ],
      ['http://[fd00:ec2::254]/latest/meta-data/', /refused: fd00:ec2::254 is a cloud metadata endpoint/],
      [
        'http://metadata.google.internal/computeMetadata/v1/',
        /refused: metadata\.google\.internal is a cloud metadata host/,
      ],
      ['http://metadata/computeMetadata/v1/', /refused: metadata is a cloud metadata host/],
      [`http://[::127.0.0.1]:${port}/compatible`, /refused: ::7f00:1 is not a global unicast address/],
    ] as const) {
      const result = await local.post(endpoint, {}, '{}');
      assert.equal(result.statusCode, null, endpoint);
      assert.match(result.error ?? '', reason, endpoint);
      const saved = new RegExp(`^endpoint ${reason.source.replace('refused: ', '')}`);
      assert.match((await local.endpointProblem(endpoint)) ?? '', saved, `${endpoint} when saved`);
    }
    const reached = await local.post(`http://localhost:${port}/local`, {}, '{}');
    assert.equal(reached.statusCode, 200, 'loopback stays allowed for local receivers');
  });

  test('does not follow redirects', async () => {
    const result = await client(true).post(`http://127.0.0.1:${port}/redirect`, {}, '{}');
    assert.equal(result.statusCode, 302);
    assert.ok(!hits.includes('/elsewhere'));
  });

  test('keeps only the first 1 KiB of an answer', async () => {
    const result = await client(true).post(`http://127.0.0.1:${port}/long`, {}, '{}');
    assert.equal(result.statusCode, 200);
    assert.equal(result.responseBody.length, 1_024);
  });
});
