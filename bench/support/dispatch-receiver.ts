import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ReceiverRequest = { type: 'reset' } | { type: 'records' };
export type ReceiverReply =
  | { type: 'listening'; port: number }
  | { type: 'progress'; count: number; lastAt: number }
  | { type: 'reset' }
  | { type: 'records'; ids: string[]; times: number[] };

/** Every request since the last reset: its webhook-id and arrival time (epoch ms), in arrival order. */
export interface Receipts {
  ids: string[];
  times: number[];
}

const RECEIVER_MAIN = fileURLToPath(new URL('./dispatch-receiver-main.js', import.meta.url));

/**
 * The benchmark's side of the receiver process (dispatch-receiver-main.ts): its URL, the count of
 * requests it has answered (pushed every 20 ms while they arrive), and its records on request.
 * Arrival times are epoch milliseconds from the receiver's own performance clock; on one machine
 * they compare with this process's `now()` to well under a millisecond.
 */
export class BenchReceiver {
  count = 0;
  lastAt = 0;
  private readonly waiters = new Set<() => void>();
  private readonly replies: Array<(reply: ReceiverReply) => void> = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (raw) => {
      const reply = raw as ReceiverReply;
      if (reply.type === 'progress') {
        this.count = reply.count;
        this.lastAt = reply.lastAt;
        this.waiters.forEach((wake) => wake());
      } else if (reply.type !== 'listening') {
        this.replies.shift()?.(reply);
      }
    });
  }

  static async start(): Promise<BenchReceiver> {
    const child = fork(RECEIVER_MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the receiver exited with ${code} before listening`)));
      child.on('message', (raw) => {
        const reply = raw as ReceiverReply;
        if (reply.type === 'listening') resolve(reply.port);
      });
    });
    return new BenchReceiver(child, port);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /**
   * Resolves once `target` requests have arrived: true then; false when nothing new arrived for
   * `stallMs`, or at `deadline` (epoch ms).
   */
  async reached(target: number, stallMs: number, deadline: number): Promise<boolean> {
    let seen = this.count;
    let lastProgress = Date.now();
    while (this.count < target) {
      if (this.count > seen) {
        seen = this.count;
        lastProgress = Date.now();
      }
      const left = Math.min(deadline - Date.now(), lastProgress + stallMs - Date.now());
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1_000));
        this.waiters.add(wake);
      });
    }
    return true;
  }

  /** Forgets every request so far; the count starts again from zero. */
  async reset(): Promise<void> {
    await this.ask({ type: 'reset' });
    this.count = 0;
    this.lastAt = 0;
  }

  async receipts(): Promise<Receipts> {
    const reply = await this.ask({ type: 'records' });
    return reply.type === 'records' ? { ids: reply.ids, times: reply.times } : { ids: [], times: [] };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }

  /** For an abort: no waiting. */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private ask(request: ReceiverRequest): Promise<ReceiverReply> {
    return new Promise((resolve, reject) => {
      this.replies.push(resolve);
      this.child.send(request, (error) => {
        if (error) reject(error);
      });
    });
  }
}
