import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { pylonBatch, pylonProject } from '../../test/support/provider-requests.js';
import { now } from './workload.js';

const BENCH_TEAM = { uid: 'benchTeam', name: 'Bench Solar' };

/** Servers the bench starts, each in its own process: the receiver, and the HTTP ceilings ingest is compared with. */
export type EndpointMode = 'receiver' | 'bare' | 'nest-express' | 'nest-fastify';

/**
 * A server in its own process: the receiver or the bare node:http ceiling (system-endpoint.ts),
 * or a minimal NestJS app on Express or Fastify (framework-endpoint.ts).
 */
export class Endpoint {
  /** Receipt time of each webhook, by `<subject>@<version>`; the first receipt counts. */
  readonly received = new Map<string, number>();
  duplicates = 0;
  validations = 0;
  port = 0;
  private child!: ChildProcess;

  /** The endpoint's process id, for its CPU time. */
  get pid(): number {
    return this.child.pid!;
  }

  static async start(mode: EndpointMode): Promise<Endpoint> {
    const endpoint = new Endpoint();
    const nest = mode === 'nest-express' || mode === 'nest-fastify';
    const script = fileURLToPath(
      new URL(nest ? './framework-endpoint.js' : './system-endpoint.js', import.meta.url),
    );
    const args = [nest ? mode.slice('nest-'.length) : mode];
    endpoint.child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    endpoint.port = await new Promise<number>((resolve, reject) => {
      endpoint.child.once('exit', (code) =>
        reject(new Error(`${mode} exited with ${code} before listening`)),
      );
      endpoint.child.on('message', (message: EndpointMessage) => {
        if ('port' in message) resolve(message.port);
        else endpoint.take(message);
      });
    });
    return endpoint;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private take(message: { receipts: Array<[string, number]>; validations: number }): void {
    this.validations = message.validations;
    for (const [key, at] of message.receipts) {
      if (this.received.has(key)) this.duplicates++;
      else this.received.set(key, at);
    }
  }
}

type EndpointMessage = { port: number } | { receipts: Array<[string, number]>; validations: number };

/** One answered request: its status (0: no answer) and how long it took. */
export interface Answer {
  status: number;
  ms: number;
  /**
   * Why there was no answer: the socket error's code (or its message), and whether the request went
   * out on a kept-alive socket, where a reset may be the server closing that idle socket just then.
   */
  failure?: string;
}

const IDLE_SOCKET_MS = 4_000;

/**
 * POSTs over node:http with a keep-alive agent: lighter than fetch, so the sender's own cost
 * stays small beside what it measures. The same client hits ingest and the bare ceiling.
 */
export class Client {
  private readonly agent: http.Agent;

  constructor(
    private readonly base: URL,
    maxSockets: number,
  ) {
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets,
      maxFreeSockets: maxSockets,
      // An idle socket is closed by the client before the apps' keep-alive timeout closes it
      // (HTTP_KEEP_ALIVE_TIMEOUT, 5 s): reused at the moment the server closed it, a request got
      // ECONNRESET with no answer (6 to 10 in a run, on sockets idle while the load needed fewer).
      timeout: IDLE_SOCKET_MS,
    });
  }

  post(path: string, headers: Record<string, string>, body: string): Promise<Answer> {
    const started = now();
    return new Promise((resolve) => {
      const request = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          timeout: 30_000,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: now() - started }));
          response.on('error', (error: NodeJS.ErrnoException) =>
            resolve({ status: 0, ms: now() - started, failure: failureOf(error, request.reusedSocket) }),
          );
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ status: 0, ms: now() - started, failure: failureOf(error, request.reusedSocket) }),
      );
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Pylon Observer projects, one per request, each request the project's next version (a new
 * reference number and modification time, so every request is a real change and yields exactly
 * one webhook, `pylon-observer:<uid>` at that version). A project is only sent again once its
 * previous request was answered, so one project's versions never race each other into ingest;
 * when every project is in flight a new one is made. A project whose request was not accepted is
 * never sent again: its read model's version no longer follows the count of its requests (or, after
 * a timeout, may or may not), so its next webhook's key would not be the one expected.
 */
export class Projects {
  private readonly idle: string[] = [];
  private readonly versions = new Map<string, number>();
  private made = 0;

  constructor(private readonly prefix: string) {}

  next(): { uid: string; version: number; key: string; body: string } {
    const uid = this.idle.shift() ?? `${this.prefix}-${this.made++}`;
    const version = (this.versions.get(uid) ?? 0) + 1;
    this.versions.set(uid, version);
    const updatedAt = new Date(Date.UTC(2026, 0, 1) + version * 1_000).toISOString();
    const body = pylonBatch(BENCH_TEAM, [pylonProject(uid, `v${version}`, updatedAt, version % 10)]);
    return { uid, version, key: `pylon-observer:${uid}@${version}`, body };
  }

  release(uid: string, accepted = true): void {
    if (accepted) this.idle.push(uid);
  }

  get count(): number {
    return this.made;
  }
}

/**
 * Projects of their own for each source: a project's version counts that tenant's requests for
 * it (the read model's version, which the webhook carries), so a project must never move between
 * tenants, and its uid names the source so that two tenants' webhooks never share a key.
 */
export class ProjectsPerSource {
  private readonly bySource = new Map<string, Projects>();

  constructor(private readonly prefix: string) {}

  of(sourceId: string): Projects {
    let projects = this.bySource.get(sourceId);
    if (!projects) {
      projects = new Projects(`${this.prefix}-s${this.bySource.size}`);
      this.bySource.set(sourceId, projects);
    }
    return projects;
  }
}

/** What one load phase sent and got back. */
export interface PhaseLoad {
  offered: number;
  sent: number;
  /** Sends that were due while `maxInFlight` requests were unanswered: not sent (open loop). */
  skipped: number;
  seconds: number;
  answers: Answer[];
}

/**
 * Open loop: request i is due at start + i / rate whatever the answers so far; due requests go
 * out at once unless `maxInFlight` are unanswered, in which case they are skipped and counted.
 */
export async function openLoop(options: {
  rate: number;
  seconds: number;
  maxInFlight: number;
  fire: () => Promise<Answer>;
}): Promise<PhaseLoad> {
  const total = Math.round(options.rate * options.seconds);
  const load: PhaseLoad = { offered: total, sent: 0, skipped: 0, seconds: 0, answers: [] };
  const inFlight = new Set<Promise<void>>();
  const start = now();
  let index = 0;
  while (index < total) {
    const due = Math.min(total, Math.floor(((now() - start) * options.rate) / 1_000) + 1);
    for (; index < due; index++) {
      if (inFlight.size >= options.maxInFlight) {
        load.skipped++;
        continue;
      }
      load.sent++;
      const request: Promise<void> = options.fire().then((answer) => {
        load.answers.push(answer);
        inFlight.delete(request);
      });
      inFlight.add(request);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  load.seconds = (now() - start) / 1_000;
  await Promise.all(inFlight);
  return load;
}

/**
 * Closed loop: `concurrency` workers, each sending its next request as soon as the last is
 * answered, for `seconds` or until `maxRequests` were sent, whichever comes first.
 */
export async function closedLoop(options: {
  concurrency: number;
  seconds: number;
  maxRequests?: number;
  fire: () => Promise<Answer>;
}): Promise<PhaseLoad> {
  const load: PhaseLoad = { offered: 0, sent: 0, skipped: 0, seconds: 0, answers: [] };
  const start = now();
  const stopAt = start + options.seconds * 1_000;
  const maxRequests = options.maxRequests ?? Infinity;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (now() < stopAt && load.sent < maxRequests) {
        load.sent++;
        load.answers.push(await options.fire());
      }
    }),
  );
  load.seconds = (now() - start) / 1_000;
  load.offered = load.sent;
  return load;
}

/** Nearest-rank percentile of unsorted values; undefined for none. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function failureOf(error: NodeJS.ErrnoException, reusedSocket: boolean): string {
  return `${error.code ?? error.message}${reusedSocket ? ' on a kept-alive socket' : ''}`;
}
