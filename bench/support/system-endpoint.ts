import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A lean keep-alive HTTP server in a process of its own, so its work never shares a core's event
 * loop with the senders. Two modes, chosen by the first argument:
 *
 * - `receiver`: the webhook receiver the dispatcher delivers to. Each body's `subject` and
 *   `data.version` name the provider request that caused it; the receipt time (epoch ms, this
 *   machine's clock) goes to the parent over IPC, every 50 ms in one message.
 * - `bare`: reads the body and answers 200, nothing else: the ceiling of a Node HTTP server that
 *   ingest is compared with.
 *
 * The parent learns the port from the first IPC message, `{ port }`.
 */
const mode = process.argv[2] === 'bare' ? 'bare' : 'receiver';
const now = (): number => performance.timeOrigin + performance.now();
let pending: Array<[key: string, at: number]> = [];
let validations = 0;

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (mode === 'receiver') record(Buffer.concat(chunks).toString('utf8'));
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;

function record(body: string): void {
  const at = now();
  try {
    const event = JSON.parse(body) as { type?: string; subject?: string; data?: { version?: number } };
    if (event.type === 'webhook.validate') validations++;
    else pending.push([`${event.subject}@${event.data?.version}`, at]);
  } catch {
    pending.push([`unparsable@${at}`, at]);
  }
}

setInterval(() => {
  if (pending.length === 0) return;
  process.send?.({ receipts: pending, validations });
  pending = [];
}, 50);

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
