import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReceiverReply, ReceiverRequest } from './dispatch-receiver.js';

/**
 * The dispatch benchmark's webhook receiver, run as a child process of its own (forked by
 * BenchReceiver) so its parsing and answering do not share an event loop with the benchmark or
 * the dispatcher. Keep-alive, answers 200 `ok` as soon as a body has arrived, and records the
 * `webhook-id` header and the arrival time of each request; it never parses a body.
 */
const ids: string[] = [];
const times: number[] = [];
let reported = -1;
const now = (): number => performance.timeOrigin + performance.now();

const server = http.createServer((request, response) => {
  request.on('end', () => {
    const id = request.headers['webhook-id'];
    ids.push(typeof id === 'string' ? id : '');
    times.push(now());
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    response.end('ok');
  });
  request.resume();
});
// Longer than any pause of the benchmark, so an idle pooled socket is never closed under a sender.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

function send(reply: ReceiverReply): void {
  process.send?.(reply);
}

process.on('message', (raw) => {
  const request = raw as ReceiverRequest;
  if (request.type === 'reset') {
    ids.length = 0;
    times.length = 0;
    reported = -1;
    send({ type: 'reset' });
  } else if (request.type === 'records') {
    send({ type: 'records', ids, times });
  }
});
// The benchmark is gone (ended or killed): so is its receiver.
process.on('disconnect', () => process.exit(0));

// Progress every 20 ms while requests arrive; the benchmark waits on these, not on polling.
setInterval(() => {
  if (ids.length === reported) return;
  reported = ids.length;
  send({ type: 'progress', count: ids.length, lastAt: times.at(-1) ?? 0 });
}, 20);

server.listen(0, '127.0.0.1', () => {
  send({ type: 'listening', port: (server.address() as AddressInfo).port });
});
