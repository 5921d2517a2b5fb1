import { createEventBus } from '@hub/bus';
import { loadConfig, PlatformConfig } from '@hub/config';
import { topicNames } from '@hub/contracts';
import { busSettings } from '@hub/runtime';
import { collect, unique } from '../../test/support/collector.js';
import type { Receiver } from '../../test/support/receiver.js';
import { openDatabase } from '../../test/support/transports.js';
import { referenceOf, type SentLedger } from './chaos-senders.js';

export interface ChaosVerdict {
  projects: number;
  acceptedEvents: number;
  /** Projects whose read model is not at the last accepted version. */
  wrongState: string[];
  /** project@version state changes that never reached the receiver. */
  undelivered: string[];
  /** webhook-ids that arrived with two different bodies. */
  conflictingBodies: string[];
  /** Accepted event ids no raw delivery on the raw topic accounts for. */
  missingFromRawTopic: string[];
  webhooksReceived: number;
  distinctWebhooks: number;
  rawDeliveries: number;
}

export const lossOf = (verdict: ChaosVerdict) =>
  verdict.wrongState.length +
  verdict.undelivered.length +
  verdict.conflictingBodies.length +
  verdict.missingFromRawTopic.length;

/** Reads the read model and the receiver's log until they agree with the ledger or time runs out. */
export async function settle(
  projectorUrl: string,
  apiKey: string,
  ledger: SentLedger,
  receiver: Receiver,
  path: string,
  timeoutMs: number,
): Promise<{ wrongState: string[]; undelivered: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const wrongState = await projectsOffTheirLastVersion(projectorUrl, apiKey, ledger);
    const undelivered = undeliveredVersions(ledger, receiver, path);
    if ((wrongState.length === 0 && undelivered.length === 0) || Date.now() > deadline) {
      return { wrongState, undelivered };
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

async function projectsOffTheirLastVersion(projectorUrl: string, apiKey: string, ledger: SentLedger) {
  const wrong: string[] = [];
  for (const [uid, version] of ledger.lastVersion) {
    const response = await fetch(`${projectorUrl}/v1/projects/pylon-observer:${uid}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    }).catch(() => null);
    const entity = response?.ok
      ? ((await response.json()) as { version: number; document: { reference_number?: string } })
      : null;
    if (entity?.version !== version || entity.document.reference_number !== referenceOf(version)) {
      wrong.push(
        `${uid}: expected v${version}, read ${entity ? `v${entity.version} ${entity.document.reference_number}` : 'nothing'}`,
      );
    }
  }
  return wrong;
}

function undeliveredVersions(ledger: SentLedger, receiver: Receiver, path: string): string[] {
  const received = new Set(
    receiver.events(path).map((event) => {
      const data = event['data'] as { version?: number };
      return `${String(event['subject'])}@${data.version}`;
    }),
  );
  const missing: string[] = [];
  for (const [uid, last] of ledger.lastVersion) {
    for (let version = 1; version <= last; version++) {
      const key = `pylon-observer:${uid}@${version}`;
      if (!received.has(key)) missing.push(key);
    }
  }
  return missing;
}

export function conflictingBodies(receiver: Receiver, path: string): string[] {
  const bodies = new Map<string, Set<string>>();
  for (const request of receiver.at(path)) {
    const id = String(request.headers['webhook-id']);
    bodies.set(id, (bodies.get(id) ?? new Set()).add(request.body));
  }
  return [...bodies].filter(([, set]) => set.size > 1).map(([id]) => id);
}

/** Reads the whole raw-deliveries topic with a fresh group and lists accepted ids it does not hold. */
export async function missingFromRawTopic(
  env: Record<string, string>,
  accepted: string[],
): Promise<{ missing: string[]; rawDeliveries: number }> {
  const config = loadConfig(PlatformConfig, env);
  const dataSource = await openDatabase(config.DATABASE_URL);
  const bus = createEventBus(busSettings(config, 'chaos-audit'), dataSource);
  try {
    const { collector, subscription } = await collect(bus, unique('chaos-audit'), [
      topicNames(config.TOPIC_PREFIX).rawDeliveries,
    ]);
    let seen = -1;
    while (collector.messages.length !== seen) {
      seen = collector.messages.length;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    await subscription.close();
    const onTopic = new Set(
      collector.messages.flatMap(
        (message) => (JSON.parse(message.value.toString()) as { event_ids: string[] }).event_ids,
      ),
    );
    return { missing: accepted.filter((id) => !onTopic.has(id)), rawDeliveries: collector.messages.length };
  } finally {
    await bus.close();
    await dataSource.destroy();
  }
}
