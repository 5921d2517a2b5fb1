import { createHmac, randomBytes } from 'node:crypto';

/**
 * Requests built exactly as each provider's document describes (docs/providers.md), signed here with
 * node:crypto directly, never with the code under test.
 */
export interface ProviderRequest {
  headers: Record<string, string>;
  query?: Record<string, string>;
  body: string;
}

export interface ProviderCase {
  provider: string;
  secret: string;
  settings?: Record<string, string>;
  /** A valid request; `at` is the signing time in Unix seconds. */
  request(secret: string, at?: number): ProviderRequest;
  /** Any body, signed as the provider would sign it. */
  sign(secret: string, body: string, at?: number): ProviderRequest;
  /** The same request with its authentication removed. */
  unsigned(request: ProviderRequest): ProviderRequest;
  expected: Array<{ topic: 'projects' | 'customers' | 'monitoring'; type: string; subject: string }>;
  /** Whether the scheme carries a timestamp with a replay window. */
  window?: number;
}

const now = () => Math.floor(Date.now() / 1000);
const hmacHex = (secret: string | Buffer, message: Buffer | string) =>
  createHmac('sha256', secret).update(message).digest('hex');

export const PYLON_BATCH = JSON.stringify({
  team: { uid: 'eDnP83Uj', name: 'My Solar Co' },
  projects: [
    { uid: 'ndd1MMGi', reference_number: 'Q142', designs: [{ uid: 'iCbguJJc', summary: { kw_stc: 6.6 } }] },
    { uid: 'TQ3YtwhB', reference_number: 'Q143', designs: [] },
  ],
});

const withoutHeaders = (request: ProviderRequest, ...names: string[]): ProviderRequest => ({
  ...request,
  headers: Object.fromEntries(
    Object.entries(request.headers).filter(([name]) => !names.includes(name.toLowerCase())),
  ),
});

const STANDARD_WEBHOOKS_KEY = randomBytes(32);

export const PROVIDER_CASES: ProviderCase[] = [
  {
    provider: 'pylon-observer',
    secret: 'pylon-webhook-secret-of-20+-chars',
    window: 60,
    request(secret, at) {
      return this.sign(secret, PYLON_BATCH, at);
    },
    sign(secret, body, at = now()) {
      // signature = hex HMAC-SHA256(secret, body . timestamp)
      const timestamp = String(at);
      return {
        headers: {
          'content-type': 'application/json',
          'X-Pylon-Observer-Signature': hmacHex(secret, body + timestamp),
          'X-Pylon-Observer-Timestamp': timestamp,
        },
        body,
      };
    },
    unsigned: (r) => withoutHeaders(r, 'x-pylon-observer-signature'),
    expected: [
      { topic: 'projects', type: 'project.upserted', subject: 'pylon-observer:ndd1MMGi' },
      { topic: 'projects', type: 'project.upserted', subject: 'pylon-observer:TQ3YtwhB' },
    ],
  },
  {
    provider: 'observer',
    secret: 'observer-signing-secret',
    request(secret) {
      const body = JSON.stringify({
        id: 'evt_obs_1',
        type: 'metric.status_changed',
        metric: { id: 'met_42', name: 'Inverter output', status: 'critical' },
        occurred_at: '2026-11-22T10:00:00Z',
      });
      return this.sign(secret, body);
    },
    sign: (secret, body) => ({
      headers: {
        'content-type': 'application/json',
        'X-Observer-Signature': `sha256=${hmacHex(secret, body)}`,
      },
      body,
    }),
    unsigned: (r) => withoutHeaders(r, 'x-observer-signature'),
    expected: [
      { topic: 'monitoring', type: 'monitoring.metric.status_changed', subject: 'observer:metric:met_42' },
    ],
  },
  {
    provider: 'opensolar',
    secret: 'Token 5d41402abc4b2a76b9719d911017c592',
    settings: { header_name: 'Authorization' },
    request(secret) {
      const body = JSON.stringify({
        project: {
          id: 8812,
          identifier: 'OS-8812',
          address: '1 Sun St',
          stage: 'Sold',
          systems: [
            { price_including_tax: 12000, output_annual_kwh: 9100, kw_stc: 6.6, modules: [{ code: 'M1' }] },
          ],
          contacts_data: [{ id: 77, email: 'ann@example.com' }],
        },
        contact: {
          id: 77,
          first_name: 'Ann',
          family_name: 'Lee',
          email: 'ann@example.com',
          phone: '+61 400 000 000',
        },
      });
      return this.sign(secret, body);
    },
    sign: (secret, body) => ({
      headers: { 'content-type': 'application/json', Authorization: secret },
      body,
    }),
    unsigned: (r) => withoutHeaders(r, 'authorization'),
    expected: [
      { topic: 'projects', type: 'project.upserted', subject: 'opensolar:8812' },
      { topic: 'customers', type: 'customer.upserted', subject: 'opensolar:77' },
    ],
  },
  {
    provider: 'casesolved',
    secret: 'super-secret-key',
    request(secret) {
      const body = JSON.stringify({
        event: 'Site Plan Change',
        data: { project_id: 'CS-19', plan_url: 'https://x.test/p.pdf' },
      });
      return this.sign(secret, body);
    },
    sign: (secret, body) => ({
      headers: { 'content-type': 'application/json', 'X-Webhook-Secret': secret },
      body,
    }),
    unsigned: (r) => withoutHeaders(r, 'x-webhook-secret'),
    expected: [{ topic: 'projects', type: 'activity.site_plan_changed', subject: 'casesolved:CS-19' }],
  },
  {
    provider: 'solarproof',
    secret: 'sp-url-token-0123456789',
    request(secret) {
      const body = JSON.stringify({
        event: 'customer_created',
        data: {
          customer_id: 'C-501',
          first_name: 'Bo',
          last_name: 'Ng',
          email: 'bo@example.com',
          status: 'New Contacts',
        },
      });
      return this.sign(secret, body);
    },
    sign: (secret, body) => ({
      headers: { 'content-type': 'application/json' },
      query: { token: secret },
      body,
    }),
    unsigned: (r) => ({ ...r, query: {} }),
    expected: [{ topic: 'customers', type: 'customer.upserted', subject: 'solarproof:C-501' }],
  },
  {
    provider: 'standard-webhooks',
    secret: `whsec_${STANDARD_WEBHOOKS_KEY.toString('base64')}`,
    settings: { event_type_path: 'type', entity_id_path: 'data.id', topic: 'monitoring' },
    window: 300,
    request(secret, at) {
      return this.sign(
        secret,
        JSON.stringify({ type: 'inverter.fault', data: { id: 'inv-9', code: 'E42' } }),
        at,
      );
    },
    sign(secret, body, at = now()) {
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
      const signature = createHmac('sha256', key).update(`${id}.${at}.${body}`).digest('base64');
      return {
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(at),
          'webhook-signature': `v1,${signature}`,
        },
        body,
      };
    },
    unsigned: (r) => withoutHeaders(r, 'webhook-signature'),
    expected: [{ topic: 'monitoring', type: 'inverter.fault', subject: 'standard-webhooks:inv-9' }],
  },
];

const PYLON_OBSERVER = PROVIDER_CASES.find((c) => c.provider === 'pylon-observer')!;

/** Signs any body as Pylon Observer does, at the current time. */
export const signPylon = (secret: string, body: string): ProviderRequest => PYLON_OBSERVER.sign(secret, body);

/** One project of a Pylon Observer batch: the fields the mapping reads, in Pylon's order. */
export interface PylonProject {
  uid: string;
  reference_number: string;
  updated_at: string;
  designs: Array<{ uid: string; summary: { kw_stc: number } }>;
}

/** A project with one design (`<uid>-d`) of `kwStc` kW. */
export function pylonProject(uid: string, reference: string, updatedAt: string, kwStc: number): PylonProject {
  return {
    uid,
    reference_number: reference,
    updated_at: updatedAt,
    designs: [{ uid: `${uid}-d`, summary: { kw_stc: kwStc } }],
  };
}

/** A Pylon Observer batch body: the team, then its projects. */
export function pylonBatch(team: { uid: string; name: string }, projects: PylonProject[]): string {
  return JSON.stringify({ team, projects });
}

export async function send(baseUrl: string, sourceId: string, request: ProviderRequest): Promise<Response> {
  const query = new URLSearchParams(request.query ?? {}).toString();
  return fetch(`${baseUrl}/v1/ingest/${sourceId}${query ? `?${query}` : ''}`, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
  });
}
