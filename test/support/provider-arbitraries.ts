import fc from 'fast-check';

/**
 * fast-check arbitraries for provider payloads: each provider's documented shape (as in
 * provider-requests.ts and the providers' documents) with its ids, names, emails, statuses,
 * nested attributes and extra fields varied over the whole of Unicode, lone surrogates, U+0000,
 * JSON escapes, long strings, numbers beyond 2^53 and deep nesting. Each payload carries the
 * subjects its events must have if ingest accepts it: `provider:<id exactly as written>`.
 */

/** A number written into the JSON text exactly as given, so that ids beyond 2^53 keep every digit. */
export class RawNumber {
  constructor(readonly literal: string) {}
}

/** An object as ordered key/value pairs: `__proto__` is just a key, and nothing is lost to a parse. */
export class Fields {
  constructor(readonly entries: Array<[string, Json]>) {}
}

export type Json = null | boolean | number | string | RawNumber | Fields | Json[];

/**
 * How a provider's JSON library writes strings: `js` escapes only what it must (JSON.stringify),
 * `ascii` every non-ASCII code unit as \uXXXX (Python's default), `php` that and `/` as `\/`.
 */
export type EscapeStyle = 'js' | 'ascii' | 'php';

export interface GeneratedPayload {
  provider: string;
  body: string;
  /** The subject of each event, in order, when the body is accepted ([] for a handshake). */
  subjects: string[];
}

export function toJson(value: Json, style: EscapeStyle = 'js'): string {
  if (value instanceof RawNumber) return value.literal;
  if (value instanceof Fields)
    return `{${value.entries.map(([key, item]) => `${quote(key, style)}:${toJson(item, style)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map((item) => toJson(item, style)).join(',')}]`;
  if (typeof value === 'string') return quote(value, style);
  return JSON.stringify(value);
}

function quote(text: string, style: EscapeStyle): string {
  // JSON.stringify already writes a lone surrogate as its \uXXXX escape.
  const minimal = JSON.stringify(text);
  if (style === 'js') return minimal;
  const ascii = minimal.replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return style === 'php' ? ascii.replace(/\//g, '\\/') : ascii;
}

/** fc.jsonValue's plain values as Fields (its objects may have own `__proto__` keys). */
function fromPlain(value: unknown): Json {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value && typeof value === 'object')
    return new Fields(Object.entries(value).map(([key, item]) => [key, fromPlain(item)]));
  return value as Json;
}

/** An object of the documented fields (those left undefined are absent), then the extra ones. */
const fields = (documented: Array<[string, Json | undefined]>, extra: Array<[string, Json]> = []): Fields =>
  new Fields([...documented.filter((entry): entry is [string, Json] => entry[1] !== undefined), ...extra]);

/** Characters that break things: escapes, separators, BOM, bidi override, combining marks, astral. */
const AWKWARD = [
  '\u0000',
  '"',
  '\\',
  '/',
  '\b',
  '\f',
  '\n',
  '\r',
  '\t',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\u202e',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\u0301',
  '\u{1f600}',
  '\u{1d306}',
  '\u{10ffff}',
  "'",
  '%',
  '<',
  ':',
  '.',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** One hostile character: any code point, an awkward one, or half a surrogate pair. */
export const hostileChar = fc.oneof(
  { weight: 12, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.constantFrom(...AWKWARD) },
  { weight: 1, arbitrary: loneSurrogate },
);

/** Text as providers send it most of the time, else any Unicode, else hostile characters. */
export function text(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  const { minLength = 0, maxLength = 30 } = constraints;
  return fc.oneof(
    { weight: 5, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength, maxLength }) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: hostileChar, minLength, maxLength }) },
  );
}

const TWO_53 = 2n ** 53n;
const raw = (n: bigint) => new RawNumber(n.toString());

/** Integer ids as JSON numbers: small, at 2^53 (where doubles stop counting), far beyond, negative. */
export const numericId: fc.Arbitrary<RawNumber> = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 31n }).map(raw) },
  { weight: 3, arbitrary: fc.bigInt({ min: TWO_53 - 3n, max: TWO_53 + 1_000n }).map(raw) },
  { weight: 2, arbitrary: fc.bigInt({ min: TWO_53, max: 10n ** 40n }).map(raw) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 20n), max: -1n }).map(raw) },
);

/** String ids: the usual kind, any text, and lengths around the 200-character and subject limits. */
export const textId: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/) },
  { weight: 4, arbitrary: text({ minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: text({ minLength: 190, maxLength: 320 }) },
);

/** An id in either form, mostly the one the provider documents. */
const anyId = (numeric: number, textual: number): fc.Arbitrary<string | RawNumber> =>
  fc.oneof({ weight: numeric, arbitrary: numericId }, { weight: textual, arbitrary: textId });

export const literalOf = (id: string | RawNumber): string => (id instanceof RawNumber ? id.literal : id);

/** Times as ISO text over JavaScript's whole date range, or any text. */
const timeText = fc.oneof(
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  text({ maxLength: 30 }),
);

const email = fc.oneof(fc.emailAddress(), text({ maxLength: 40 }));

/** Numbers as a provider writes them: doubles of every size, and integers beyond 2^53. */
const number: fc.Arbitrary<Json> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(raw),
);

/** Arrays and objects nested `depth` deep around a leaf. */
const nested = (depth: number, leaf: Json): Json =>
  Array.from({ length: depth }).reduce<Json>(
    (inner, _, level) => (level % 2 === 0 ? [inner] : new Fields([['n', inner]])),
    leaf,
  );

/** Long text: a short run repeated to a size up to a little over the 1 MiB body limit. */
const longText = fc
  .tuple(text({ minLength: 1, maxLength: 6 }), fc.integer({ min: 10_000, max: 1_100_000 }))
  .map(([run, bytes]) => run.repeat(Math.max(1, Math.ceil(bytes / Buffer.byteLength(JSON.stringify(run))))));

const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(fromPlain) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }).map(fromPlain) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: hostileChar }).map(fromPlain) },
  { weight: 3, arbitrary: text() },
  { weight: 2, arbitrary: number },
  // Deep but mostly within the 64 levels ingest takes; the body adds a few levels of its own.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 64 }), text({ maxLength: 4 }))
      .map(([d, leaf]) => nested(d, leaf)),
  },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** Extra fields beside the documented ones (never one of `reserved`): providers add fields. */
function extras(reserved: string[]): fc.Arbitrary<Array<[string, Json]>> {
  const key = fc
    .oneof(
      { weight: 5, arbitrary: text({ minLength: 1, maxLength: 20 }) },
      { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '') },
    )
    .filter((k) => !reserved.includes(k));
  const item = fc.oneof({ weight: 30, arbitrary: value }, { weight: 1, arbitrary: longText });
  return fc.array(fc.tuple(key, item), { maxLength: 4 });
}

const optional = <T>(arbitrary: fc.Arbitrary<T>, freq = 2) => fc.option(arbitrary, { nil: undefined, freq });

const escapeStyle = fc.constantFrom<EscapeStyle>('js', 'js', 'ascii', 'php');

function payload(provider: string, shape: fc.Arbitrary<{ json: Json; subjects: string[] }>) {
  return fc.tuple(shape, escapeStyle).map(([{ json, subjects }, style]): GeneratedPayload => {
    const generated = { provider, body: toJson(json, style), subjects };
    // fast-check prints counterexamples with this: a 1 MB body must not flood the report.
    return Object.defineProperty(generated, fc.toStringMethod, { value: () => describePayload(generated) });
  });
}

/** The provider, size and (escaped, cut to `limit` characters) body: a counterexample to read. */
export function describePayload(payload: GeneratedPayload, limit = 600): string {
  const size = Buffer.byteLength(payload.body);
  const shown = payload.body.length > limit ? `${payload.body.slice(0, limit)}…` : payload.body;
  return `${payload.provider} (${size} bytes): ${JSON.stringify(shown)}`;
}

const PYLON_PROJECT_FIELDS = ['uid', 'reference_number', 'designs', 'updated_at'];

/** `{team, projects[]}`: one event per project. */
const pylonObserver = payload(
  'pylon-observer',
  fc
    .record({
      team: fc.record({ uid: textId, name: optional(text()), more: extras(['uid', 'name']) }),
      projects: fc.array(
        fc.record({
          uid: anyId(1, 12),
          reference_number: optional(text()),
          designs: optional(
            fc.array(
              fc.record({ uid: textId, summary: optional(fc.dictionary(text({ maxLength: 10 }), number)) }),
              {
                maxLength: 3,
              },
            ),
          ),
          updated_at: optional(timeText),
          more: extras(PYLON_PROJECT_FIELDS),
        }),
        { maxLength: 4 },
      ),
      more: extras(['team', 'projects']),
    })
    .map(({ team, projects, more }) => ({
      json: fields(
        [
          [
            'team',
            fields(
              [
                ['uid', team.uid],
                ['name', team.name],
              ],
              team.more,
            ),
          ],
          [
            'projects',
            projects.map((p) =>
              fields(
                [
                  ['uid', p.uid],
                  ['reference_number', p.reference_number],
                  [
                    'designs',
                    p.designs?.map((d) =>
                      fields([
                        ['uid', d.uid],
                        ['summary', d.summary && fromPlain(d.summary)],
                      ]),
                    ),
                  ],
                  ['updated_at', p.updated_at],
                ],
                p.more,
              ),
            ),
          ],
        ],
        more,
      ),
      subjects: projects.map((p) => `pylon-observer:${literalOf(p.uid)}`),
    })),
);

const OBSERVER_TYPES = [
  'metric.status_changed',
  'metric.no_data',
  'page.status_changed',
  'slo.burn_started',
  'slo.burn_resolved',
  'agent.offline',
];

/** One Observer event about a metric, page, SLO or agent: `<kind>.id` or `<kind>_id`. */
const observer = payload(
  'observer',
  fc.constantFrom(...OBSERVER_TYPES).chain((type) => {
    const kind = type.split('.')[0]!;
    const reserved = ['id', 'type', kind, `${kind}_id`, 'occurred_at', 'timestamp', 'time', 'status', 'name'];
    return fc
      .record({
        id: optional(textId, 3),
        monitorId: anyId(1, 4),
        flat: fc.boolean(),
        name: optional(text()),
        status: optional(fc.oneof(fc.constantFrom('ok', 'critical', 'warning'), text())),
        occurred_at: optional(timeText),
        inner: extras(['id', 'name', 'status']),
        more: extras(reserved),
      })
      .map((e) => ({
        json: fields(
          [
            ['id', e.id],
            ['type', type],
            e.flat
              ? [`${kind}_id`, e.monitorId]
              : [
                  kind,
                  fields(
                    [
                      ['id', e.monitorId],
                      ['name', e.name],
                      ['status', e.status],
                    ],
                    e.inner,
                  ),
                ],
            ['occurred_at', e.occurred_at],
          ],
          e.more,
        ),
        subjects: [`observer:${kind}:${literalOf(e.monitorId)}`],
      }));
  }),
);

/** OpenSolar's `project`, `contact` and `event` objects, any of them: numeric ids as documented. */
const opensolar = payload(
  'opensolar',
  fc
    .record({
      project: optional(
        fc.record({
          id: anyId(6, 1),
          identifier: optional(text()),
          address: optional(text()),
          stage: optional(fc.oneof(fc.constantFrom('Lead', 'Sold', 'Installed'), text())),
          lat: optional(number),
          systems: optional(
            fc.array(
              fc.record({
                price_including_tax: number,
                kw_stc: number,
                modules: fc.array(fc.record({ code: text({ maxLength: 10 }) }), { maxLength: 2 }),
              }),
              { maxLength: 2 },
            ),
          ),
          contacts: optional(fc.array(fc.record({ id: anyId(4, 1), email }), { maxLength: 2 })),
          modified_date: optional(timeText),
          more: extras([
            'id',
            'identifier',
            'address',
            'stage',
            'lat',
            'systems',
            'contacts_data',
            'modified_date',
          ]),
        }),
        4,
      ),
      contact: optional(
        fc.record({
          id: anyId(6, 1),
          first_name: optional(text()),
          family_name: optional(text()),
          email: optional(email),
          phone: optional(text({ maxLength: 20 })),
          more: extras(['id', 'first_name', 'family_name', 'email', 'phone']),
        }),
      ),
      event: optional(
        fc.record({
          id: anyId(6, 1),
          project: optional(anyId(6, 1)),
          more: extras(['id', 'project', 'project_id']),
        }),
        3,
      ),
    })
    .map(({ project, contact, event }) => {
      const subjects: string[] = [];
      const parts: Array<[string, Json]> = [];
      if (project) {
        subjects.push(`opensolar:${literalOf(project.id)}`);
        parts.push([
          'project',
          fields(
            [
              ['id', project.id],
              ['identifier', project.identifier],
              ['address', project.address],
              ['stage', project.stage],
              ['lat', project.lat],
              [
                'systems',
                project.systems?.map((s) =>
                  fields([
                    ['price_including_tax', s.price_including_tax],
                    ['kw_stc', s.kw_stc],
                    ['modules', s.modules.map((m) => fields([['code', m.code]]))],
                  ]),
                ),
              ],
              [
                'contacts_data',
                project.contacts?.map((c) =>
                  fields([
                    ['id', c.id],
                    ['email', c.email],
                  ]),
                ),
              ],
              ['modified_date', project.modified_date],
            ],
            project.more,
          ),
        ]);
      }
      if (contact) {
        subjects.push(`opensolar:${literalOf(contact.id)}`);
        parts.push([
          'contact',
          fields(
            [
              ['id', contact.id],
              ['first_name', contact.first_name],
              ['family_name', contact.family_name],
              ['email', contact.email],
              ['phone', contact.phone],
            ],
            contact.more,
          ),
        ]);
      }
      if (event) {
        const projectId = event.project ?? project?.id;
        subjects.push(`opensolar:${projectId === undefined ? '' : literalOf(projectId)}`);
        parts.push([
          'event',
          fields(
            [
              ['id', event.id],
              ['project', event.project],
            ],
            event.more,
          ),
        ]);
      }
      return { json: new Fields(parts), subjects };
    }),
);

/** `{event, data}`: Site Plan Change, the activation handshake, or any other event name. */
const casesolved = payload(
  'casesolved',
  fc
    .record({
      event: fc.oneof(
        { weight: 4, arbitrary: fc.constant('Site Plan Change') },
        { weight: 1, arbitrary: fc.constant('Webhook Validate') },
        { weight: 4, arbitrary: text({ minLength: 1, maxLength: 60 }) },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 90, maxLength: 200 }) },
      ),
      projectId: anyId(1, 4),
      plan_url: optional(fc.oneof(fc.webUrl(), text())),
      updated_at: optional(timeText),
      more: extras(['project_id', 'project', 'id', 'plan_url', 'updated_at', 'timestamp']),
    })
    .map((e) => ({
      json: fields([
        ['event', e.event],
        [
          'data',
          fields(
            [
              ['project_id', e.projectId],
              ['plan_url', e.plan_url],
              ['updated_at', e.updated_at],
            ],
            e.more,
          ),
        ],
      ]),
      subjects: e.event === 'Webhook Validate' ? [] : [`casesolved:${literalOf(e.projectId)}`],
    })),
);

const SOLARPROOF_EVENTS = [
  'customer_created',
  'customer_status_change',
  'project_email_sent',
  'project_sms_sent',
  'published_proposal_link',
  'recent_draft_project',
];

/** The event in `event` or `type_request`, the record in `data` or beside the event name. */
const solarproof = payload(
  'solarproof',
  fc
    .record({
      event: fc.constantFrom(...SOLARPROOF_EVENTS),
      named: fc.constantFrom('event', 'type_request'),
      inData: fc.boolean(),
      id: anyId(1, 4),
      customer: optional(anyId(1, 4)),
      first_name: optional(text()),
      last_name: optional(text()),
      email: optional(email),
      status: optional(fc.oneof(fc.constantFrom('New Contacts', 'Won', 'Lost'), text())),
      created_at: optional(timeText),
      more: extras([
        'event',
        'type_request',
        'data',
        'customer_id',
        'project_id',
        'id',
        'first_name',
        'last_name',
        'email',
        'phone',
        'mobile',
        'status',
        'updated_at',
        'created_at',
        'date',
      ]),
    })
    .map((e) => {
      const onCustomer = e.event.startsWith('customer_');
      const record: Array<[string, Json]> = [
        ...(onCustomer
          ? ([['customer_id', e.id]] as Array<[string, Json]>)
          : ([['project_id', e.id]] as Array<[string, Json]>).concat(
              e.customer === undefined ? [] : [['customer_id', e.customer]],
            )),
        ...fields([
          ['first_name', e.first_name],
          ['last_name', e.last_name],
          ['email', e.email],
          ['status', e.status],
          ['created_at', e.created_at],
        ]).entries,
        ...e.more,
      ];
      return {
        json: e.inData
          ? fields([
              [e.named, e.event],
              ['data', new Fields(record)],
            ])
          : new Fields([[e.named, e.event], ...record]),
        subjects: [`solarproof:${literalOf(e.id)}`],
      };
    }),
);

/** Any JSON object; this source's settings read its type at `type` and its entity at `data.id`. */
const standardWebhooks = payload(
  'standard-webhooks',
  fc
    .record({
      type: fc.oneof(
        { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,100}$/) },
        { weight: 2, arbitrary: fc.stringMatching(/^monitoring\.[a-z_.]{1,20}$/) },
        { weight: 1, arbitrary: text({ minLength: 1, maxLength: 20 }) },
      ),
      id: anyId(1, 4),
      inner: extras(['id']),
      more: extras(['type', 'data']),
    })
    .map((e) => ({
      json: fields(
        [
          ['type', e.type],
          ['data', fields([['id', e.id]], e.inner)],
        ],
        e.more,
      ),
      subjects: [`standard-webhooks:${literalOf(e.id)}`],
    })),
);

export const PROVIDER_PAYLOADS: Record<string, fc.Arbitrary<GeneratedPayload>> = {
  'pylon-observer': pylonObserver,
  observer,
  opensolar,
  casesolved,
  solarproof,
  'standard-webhooks': standardWebhooks,
};

/** A payload of any of the six providers. */
export const anyProviderPayload: fc.Arbitrary<GeneratedPayload> = fc.oneof(
  ...Object.values(PROVIDER_PAYLOADS),
);
