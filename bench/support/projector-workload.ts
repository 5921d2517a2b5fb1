import type { OutgoingMessage } from '@hub/bus';
import { asMessage, canonicalEvent } from '../../test/support/canonical-events.js';

/** What the projector benchmark sends: how many events, over how many projects, in what batches. */
export interface ProjectorWorkload {
  events: number;
  /** Distinct projects (external ids): events beyond the first `projects` are updates of existing ones. */
  projects: number;
  /** Events per publish call, and per INSERT for the Postgres ceiling. */
  batchSize: number;
  /** Publish calls in flight at once. */
  inFlight: number;
  /** JSON size of one event's `data` (the projected document), in bytes. */
  documentBytes: number;
  /** JSON size of one whole canonical event (what the bus carries), in bytes. */
  eventBytes: number;
}

const STAGES = ['Lead', 'Qualified', 'Site visit', 'Design', 'Proposal sent', 'Sold', 'Installed'];
const CITIES = ['Sydney', 'Melbourne', 'Brisbane', 'Perth', 'Adelaide', 'Hobart', 'Darwin', 'Canberra'];
const BASE_TIME = Date.parse('2026-11-22T00:00:00.000Z');

/** A project's external id: `bench-0000123`. */
export function externalIdOf(project: number): string {
  return `bench-${String(project).padStart(7, '0')}`;
}

/**
 * Event `index` of the run: project `index % projects`, revision `index / projects`. Each revision
 * moves the stage on and bumps a counter, so every event is a real change of its project; the
 * provider time grows with the index, so no event is older than the one it follows.
 */
export function projectDocument(index: number, projects: number): Record<string, unknown> {
  const project = index % projects;
  const revision = Math.floor(index / projects);
  const city = CITIES[project % CITIES.length] ?? 'Sydney';
  const kw = 5 + (project % 40) / 4;
  return {
    title: `Bench project ${project}`,
    reference_number: `Q${String(project).padStart(7, '0')}`,
    stage: STAGES[(project + revision) % STAGES.length],
    sync_revision: revision,
    address: {
      line1: `${(project % 300) + 1} Example Street`,
      city,
      state: 'NSW',
      zip: String(2000 + (project % 900)),
      country: 'AU',
      lat: Number((-33.8 - (project % 100) / 1000).toFixed(3)),
      lon: Number((151.2 + (project % 100) / 1000).toFixed(3)),
    },
    customer: {
      name: `Customer ${project}`,
      email: `customer.${project}@example.com`,
      phone: `+61 2 ${String(90000000 + project).slice(0, 8)}`,
    },
    systems: [
      {
        uid: `sys-${project}-a`,
        modules: { model: 'Trina Vertex S+ 440W', count: Math.round(kw / 0.44), kw },
        inverters: [{ model: 'Fronius Primo GEN24 5.0', count: 1 }],
        battery: { model: 'Tesla Powerwall 3', kwh: 13.5 },
      },
    ],
    designs: [
      {
        uid: `des-${project}-1`,
        summary: { kw, annual_kwh: Math.round(kw * 1400), price_aud: 9000 + project },
      },
      {
        uid: `des-${project}-2`,
        summary: { kw: kw + 1.1, annual_kwh: Math.round((kw + 1.1) * 1400), price_aud: 9900 + project },
      },
    ],
    utility: {
      retailer: 'Origin Energy',
      tariff: 'Time of use, residential',
      nmi: `410${String(project).padStart(8, '0')}`,
    },
    assigned_to: `designer.${project % 12}@installer.example`,
    notes: 'Two-storey house, tin roof, north-facing; customer wants a battery and an EV charger later.',
  };
}

/** Event `index` as ingest would publish it on `hub.canonical.projects`. */
export function benchEvent(tenant: string, index: number, projects: number): OutgoingMessage {
  return asMessage(
    canonicalEvent({
      tenant,
      externalId: externalIdOf(index % projects),
      providerUpdatedAt: new Date(BASE_TIME + index * 1_000).toISOString(),
      data: projectDocument(index, projects),
    }),
  );
}

/** Events `first` up to (not including) `end`. */
export function benchEvents(tenant: string, first: number, end: number, projects: number): OutgoingMessage[] {
  return Array.from({ length: Math.max(0, end - first) }, (_, i) => benchEvent(tenant, first + i, projects));
}

/** Sizes of a typical event of the run, for the report and the ceiling's rows. */
export function measureSizes(
  tenant: string,
  projects: number,
): { documentBytes: number; eventBytes: number } {
  const message = benchEvent(tenant, projects, projects);
  const event = JSON.parse(String(message.value)) as { data: unknown };
  return {
    documentBytes: Buffer.byteLength(JSON.stringify(event.data)),
    eventBytes: Buffer.byteLength(String(message.value)),
  };
}

/**
 * Events for projects of their own (`warmup-…`), applied before the clock starts: a create and an
 * update of each, so the projector's code paths are compiled and its connections open.
 */
export function warmUpEvents(tenant: string, projects: number): OutgoingMessage[] {
  return Array.from({ length: 2 * projects }, (_, index) =>
    asMessage(
      canonicalEvent({
        tenant,
        externalId: `warmup-${index % projects}`,
        providerUpdatedAt: new Date(BASE_TIME + index * 1_000).toISOString(),
        data: projectDocument(index, projects),
      }),
    ),
  );
}
