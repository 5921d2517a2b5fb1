import type { FloodOrder, FloodReply, FloodRequest } from './fairness-flood.js';
import { pylonBatch, pylonProject, signPylon } from '../../test/support/provider-requests.js';
import { Client, closedLoop, type Answer } from './system-load.js';
import { now } from './workload.js';

const FLOOD_TEAM = { uid: 'floodTeam', name: 'Flood Solar' };

/**
 * Tenant A's flood, run as a child process of its own (forked by FloodProcess) so that building,
 * signing and sending its batches never shares an event loop or a connection pool with tenant
 * B's requests. Waits for one order, floods as told (closed loop, bounded in time and count),
 * reports its answers and which requests were accepted over IPC, and exits.
 */
function send(reply: FloodReply): Promise<void> {
  return new Promise((resolve) => process.send?.(reply, undefined, {}, () => resolve()) ?? resolve());
}

async function flood(order: FloodOrder): Promise<void> {
  const client = new Client(new URL(order.ingestUrl), order.concurrency);
  const accepted: number[] = [];
  let next = 0;
  const fire = async (): Promise<Answer> => {
    const request = next++;
    const signed = signPylon(order.secret, body(order, request));
    const answer = await client.post(`/v1/ingest/${order.sourceId}`, signed.headers, signed.body);
    if (answer.status === 200) accepted.push(request);
    return answer;
  };
  const load = await closedLoop({
    concurrency: order.concurrency,
    seconds: order.seconds,
    maxRequests: order.maxRequests,
    fire,
  });
  const endedAt = now();
  client.close();
  await send({ type: 'done', load, accepted, endedAt });
}

/** A signed Pylon Observer batch of `batch` projects never seen before. */
function body(order: FloodOrder, request: number): string {
  const projects = Array.from({ length: order.batch }, (_, i) =>
    pylonProject(
      `${order.prefix}-${request}-${i}`,
      `F${request}.${i}`,
      new Date(Date.UTC(2026, 0, 1)).toISOString(),
      i % 10,
    ),
  );
  return pylonBatch(FLOOD_TEAM, projects);
}

process.once('message', (raw) => {
  const request = raw as FloodRequest;
  flood(request.order).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
// The benchmark is gone (ended or killed): so is its flood.
process.on('disconnect', () => process.exit(0));
void send({ type: 'ready' });
