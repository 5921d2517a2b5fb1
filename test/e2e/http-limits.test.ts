import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../support/app-process.js';
import { createTestDatabase, stopEmbeddedTestServer, type TestDatabase } from '../support/database.js';
import { createTenant } from '../support/tenants.js';

/**
 * What every app's HTTP server refuses to spend on a client: a problem detail that echoes a huge
 * bad value, and a socket held open by a client that sends its request slowly. The dispatcher
 * stands in for all three apps: both limits live in the runtime they share.
 */
after(stopEmbeddedTestServer);

describe('HTTP limits of an app process', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let app: AppProcess;
  let base: string;
  let port: number;
  before(async () => {
    database = await createTestDatabase();
    port = await freePort();
    app = runProcess('dist/apps/dispatcher/src/main.js', {
      DATABASE_URL: database.url,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      DISPATCHER_PORT: String(port),
      HTTP_HEADERS_TIMEOUT: '1s',
      HTTP_REQUEST_TIMEOUT: '2s',
    });
    base = `http://127.0.0.1:${port}`;
    await waitForHealthy(base);
  });
  after(async () => {
    await app?.stop('SIGTERM');
    await database?.drop();
  });

  test('a 400 quotes at most an excerpt of a 100 KB bad field, and says how much was cut', async () => {
    const tenant = await createTenant({ DATABASE_URL: database.url }, 'limits');
    const pattern = `project..${'x'.repeat(100_000)}`;
    const response = await fetch(`${base}/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'https://crm.example.com/hooks', trigger_fields: [pattern] }),
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const problem = (await response.json()) as { detail: string };
    assert.ok(problem.detail.startsWith('trigger_fields[0] "project..xxx'), problem.detail.slice(0, 100));
    assert.match(problem.detail, /… \(\d+ more characters cut\)$/);
    assert.ok(problem.detail.length < 400, `detail is ${problem.detail.length} characters`);
  });

  test('a gzip body is inflated before it is parsed; one inflating past the limit is a 413', async () => {
    const tenant = await createTenant({ DATABASE_URL: database.url }, 'encodings');
    const post = (body: Buffer, headers: Record<string, string>) =>
      fetch(`${base}/v1/subscriptions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tenant.api_key}`,
          'content-type': 'application/json',
          ...headers,
        },
        body,
      });
    const invalid = JSON.stringify({ endpoint: 'https://crm.example.com/hooks', trigger_fields: ['a..b'] });
    // The validator's answer names the field: the body was inflated and parsed, not refused as bytes.
    const inflated = await post(gzipSync(invalid), { 'content-encoding': 'gzip' });
    assert.equal(inflated.status, 400);
    assert.match(((await inflated.json()) as { detail: string }).detail, /^trigger_fields\[0\]/);

    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
    assert.ok(bomb.length < 64 * 1024, `the bomb is ${bomb.length} bytes on the wire`);
    const tooLarge = await post(bomb, { 'content-encoding': 'gzip' });
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.headers.get('content-type'), 'application/problem+json; charset=utf-8');

    const unknown = await post(Buffer.from(invalid), { 'content-encoding': 'compress' });
    assert.equal(unknown.status, 415);
    assert.match(
      ((await unknown.json()) as { detail: string }).detail,
      /unsupported content encoding "compress"/,
    );
  });

  test('a management body that is not application/json is a 415 naming the type to send', async () => {
    const tenant = await createTenant({ DATABASE_URL: database.url }, 'media-types');
    const response = await fetch(`${base}/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.api_key}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ endpoint: 'https://crm.example.com/hooks' }),
    });
    assert.equal(response.status, 415);
    assert.equal(((await response.json()) as { detail: string }).detail, 'send the body as application/json');
  });

  test('a client trickling its body is answered 408 and cut off at HTTP_REQUEST_TIMEOUT', async () => {
    const head = 'POST /v1/subscriptions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n';
    const { elapsedMs, answer } = await slowClient(port, `${head}content-length: 10000\r\n\r\n`, '{');
    assert.ok(elapsedMs >= 1_500 && elapsedMs < 6_000, `closed after ${elapsedMs} ms`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  test('a client trickling its headers is cut off at HTTP_HEADERS_TIMEOUT', async () => {
    const { elapsedMs, answer } = await slowClient(port, 'GET /health HTTP/1.1\r\n', 'x');
    assert.ok(elapsedMs >= 500 && elapsedMs < 5_000, `closed after ${elapsedMs} ms`);
    assert.match(answer, /^(HTTP\/1\.1 408 |$)/);
  });

  test('the app stays healthy after cutting them off', async () => {
    assert.equal((await fetch(`${base}/health`)).status, 200);
  });
});

test('a headers timeout longer than the request timeout stops start-up with one line naming it', async () => {
  const app = runProcess('dist/apps/projector/src/main.js', {
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    HTTP_HEADERS_TIMEOUT: '1m',
    HTTP_REQUEST_TIMEOUT: '30s',
  });
  assert.equal(await app.exited, 1);
  assert.match(
    app.output.join('\n'),
    /cannot start: HTTP_HEADERS_TIMEOUT: must not be longer than HTTP_REQUEST_TIMEOUT/,
  );
});

/**
 * Sends `opening` at once, then one `drip` every 200 ms, until the server closes the socket;
 * returns how long that took and what the server said. Gives up after 20 s (Node's defaults hold
 * such a client 60 s for headers, 300 s for a request).
 */
function slowClient(
  port: number,
  opening: string,
  drip: string,
): Promise<{ elapsedMs: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(opening));
    const dripping = setInterval(() => socket.writable && socket.write(drip), 200);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept the slow client for 20 s'));
    }, 20_000);
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => undefined); // a reset while dripping is a close like any other
    socket.on('close', () => {
      clearInterval(dripping);
      clearTimeout(giveUp);
      resolve({ elapsedMs: Date.now() - started, answer });
    });
  });
}
