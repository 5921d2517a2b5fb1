/**
 * A fixed CPU-bound workload, timed: 200,000 HMAC-SHA256 of a 600-byte body and 300,000 JSON
 * round trips of a small object, the kinds of work ingest does per request. Prints its wall time in
 * ms (machineProbeMs runs it in a process of its own while the system is down).
 */
import { createHmac } from 'node:crypto';

const key = Buffer.alloc(32, 1);
const body = Buffer.alloc(600, 2);
const value = { a: 1, b: 'hello world', c: [1, 2, 3], d: { e: 'x'.repeat(200), f: true } };
const started = performance.now();
for (let i = 0; i < 200_000; i++) createHmac('sha256', key).update(body).digest('hex');
for (let i = 0; i < 300_000; i++) JSON.parse(JSON.stringify(value));
console.log(Math.round(performance.now() - started));
