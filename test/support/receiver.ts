import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it. */
export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** performance.now() when the body had arrived. */
  at: number;
  /** The status it was answered with; absent while it hangs. */
  answered?: number;
}

/** How the receiver answers a path: a status (with headers), never, or as a function of the request decides. */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';
export type Behaviour = Answer | ((request: Received) => Answer);

/**
 * A local webhook receiver over a real socket. Each path answers as told (200 by default) and can
 * be switched while a test runs; every request is recorded, answered or not.
 */
export class Receiver {
  readonly requests: Received[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly server = http.createServer((request, response) => this.handle(request, response));
  private readonly waiters = new Set<() => void>();
  private port = 0;

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening (connections are refused) until `up()`, on the same port. */
  async down(): Promise<void> {
    this.hanging.forEach((response) => response.destroy());
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async up(): Promise<void> {
    await this.start(this.port);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, behaviour: Behaviour): void {
    this.behaviours.set(path, behaviour);
  }

  at(path: string): Received[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** Bodies as JSON, for the requests to one path that were not handshakes. */
  events(path: string): Array<Record<string, unknown> & { received: Received }> {
    return this.at(path)
      .map((received): Record<string, unknown> & { received: Received } => ({
        ...(JSON.parse(received.body) as Record<string, unknown>),
        received,
      }))
      .filter((event) => event['type'] !== 'webhook.validate');
  }

  async waitFor(condition: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `receiver: ${what} not met within ${timeoutMs} ms (${this.requests.length} requests)`,
        );
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 100));
        this.waiters.add(wake);
      });
    }
  }

  async stop(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const received: Received = {
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      };
      this.requests.push(received);
      this.waiters.forEach((wake) => wake());
      const configured = this.behaviours.get(path) ?? { status: 200 };
      const behaviour = typeof configured === 'function' ? configured(received) : configured;
      if (behaviour === 'hang') {
        this.hanging.add(response);
        return;
      }
      received.answered = behaviour.status;
      response.writeHead(behaviour.status, behaviour.headers ?? {});
      response.end(behaviour.body ?? 'ok');
    });
  }
}
