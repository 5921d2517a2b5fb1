import { pylonBatch, pylonProject, send, signPylon } from '../../test/support/provider-requests.js';

const CHAOS_TEAM = { uid: 'chaosTeam', name: 'Chaos Solar' };

/** What the providers had accepted: the last version of each project, and every answer's event ids. */
export interface SentLedger {
  lastVersion: Map<string, number>;
  acceptedEventIds: string[];
  requests: { accepted: number; unchanged: number; retried: number; refusedWith: Record<string, number> };
}

/** A small deterministic generator, so a failing run can be repeated with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

/**
 * Pylon Observer as its document describes it: signed batches of projects. Each sender owns its
 * own projects and sends one request at a time, so the last accepted version of a project is its
 * final state. A request that is refused or not answered is sent again (re-signed) until it is
 * accepted, as providers retry; now and then a batch is resent unchanged, as Pylon does.
 */
export async function runSenders(options: {
  ingestUrl: string;
  sourceId: string;
  secret: string;
  senders: number;
  projectsPerSender: number;
  requestsPerSecond: number;
  until: () => boolean;
  random: () => number;
}): Promise<SentLedger> {
  const ledger: SentLedger = {
    lastVersion: new Map(),
    acceptedEventIds: [],
    requests: { accepted: 0, unchanged: 0, retried: 0, refusedWith: {} },
  };
  const intervalMs = (1_000 * options.senders) / options.requestsPerSecond;
  await Promise.all(
    Array.from({ length: options.senders }, async (_, sender) => {
      const projects = Array.from({ length: options.projectsPerSender }, (_, i) => `chaos-${sender}-${i}`);
      while (!options.until()) {
        const started = Date.now();
        const resend = options.random() < 0.1;
        const chosen = pick(projects, 1 + Math.floor(options.random() * 3), options.random);
        const versions = chosen.map((uid) => {
          const current = ledger.lastVersion.get(uid) ?? 0;
          return { uid, version: resend && current > 0 ? current : current + 1 };
        });
        await sendUntilAccepted(options, batchOf(versions), ledger);
        for (const { uid, version } of versions) ledger.lastVersion.set(uid, version);
        if (resend) ledger.requests.unchanged++;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started))));
      }
    }),
  );
  return ledger;
}

/** The project's version is in its reference number and its modification time. */
export const referenceOf = (version: number) => `v${version}`;

function batchOf(versions: Array<{ uid: string; version: number }>): string {
  return pylonBatch(
    CHAOS_TEAM,
    versions.map(({ uid, version }) =>
      pylonProject(
        uid,
        referenceOf(version),
        new Date(Date.UTC(2026, 0, 1) + version * 1_000).toISOString(),
        version % 10,
      ),
    ),
  );
}

async function sendUntilAccepted(
  options: { ingestUrl: string; sourceId: string; secret: string },
  body: string,
  ledger: SentLedger,
): Promise<void> {
  for (;;) {
    const outcome = await send(options.ingestUrl, options.sourceId, signPylon(options.secret, body)).then(
      async (response) => ({ status: response.status, body: await response.text() }),
      (error: unknown) => ({ status: 0, body: (error as Error).message }),
    );
    if (outcome.status === 200) {
      ledger.requests.accepted++;
      ledger.acceptedEventIds.push(...(JSON.parse(outcome.body) as { event_ids: string[] }).event_ids);
      return;
    }
    if (outcome.status >= 400 && outcome.status < 500) {
      throw new Error(`ingest refused a valid request with ${outcome.status}: ${outcome.body}`);
    }
    const key = outcome.status === 0 ? 'no answer' : String(outcome.status);
    ledger.requests.refusedWith[key] = (ledger.requests.refusedWith[key] ?? 0) + 1;
    ledger.requests.retried++;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function pick<T>(items: T[], count: number, random: () => number): T[] {
  const chosen = new Set<T>();
  while (chosen.size < Math.min(count, items.length)) chosen.add(items[Math.floor(random() * items.length)]!);
  return [...chosen];
}
