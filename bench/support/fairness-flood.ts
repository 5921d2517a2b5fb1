import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PhaseLoad } from './system-load.js';

/** What tenant A's flood is told to send: everything the child process needs, nothing shared. */
export interface FloodOrder {
  ingestUrl: string;
  sourceId: string;
  secret: string;
  /** Projects per request: `<prefix>-<request>-<i>`, each new, so every event is a create. */
  batch: number;
  prefix: string;
  concurrency: number;
  seconds: number;
  maxRequests: number;
}

/** The flood's answers, once it is over. Times are epoch ms, comparable across processes. */
export interface FloodOutcome {
  load: PhaseLoad;
  /** The request numbers answered 200: the drain counts exactly their events. */
  accepted: number[];
  endedAt: number;
}

export type FloodRequest = { type: 'start'; order: FloodOrder };
export type FloodReply = { type: 'ready' } | ({ type: 'done' } & FloodOutcome);

const FLOOD_MAIN = fileURLToPath(new URL('./fairness-flood-main.js', import.meta.url));
/** Beyond the flood's own bound: its last requests may each wait up to their 30 s timeout. */
const GRACE_MS = 60_000;

/**
 * Tenant A's flood in a child process of its own (fairness-flood-main.ts). Building, signing and
 * sending 500-project bodies, and reading their answers, is heavy work: in the benchmark's own
 * process it delayed tenant B's requests and their timing, so the bench measured its own event
 * loop rather than the system. The parent keeps only B's open loop and the accounting.
 */
export class FloodProcess {
  private constructor(private readonly child: ChildProcess) {}

  /** Forks the flood and waits until it has loaded, so its start-up is not counted as flooding. */
  static async start(): Promise<FloodProcess> {
    const child = fork(FLOOD_MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the flood exited with ${code} before it was ready`)));
      child.once('message', (raw) => {
        if ((raw as FloodReply).type === 'ready') resolve();
      });
    });
    return new FloodProcess(child);
  }

  /** Sends the order and resolves with the flood's answers once it has stopped. */
  run(order: FloodOrder): Promise<FloodOutcome> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.kill();
          reject(
            new Error(`the flood had not reported ${order.seconds * 1_000 + GRACE_MS} ms after its start`),
          );
        },
        order.seconds * 1_000 + GRACE_MS,
      );
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the flood exited with ${code} before reporting`));
      });
      this.child.on('message', (raw) => {
        const reply = raw as FloodReply;
        if (reply.type !== 'done') return;
        clearTimeout(timer);
        const { load, accepted, endedAt } = reply;
        resolve({ load, accepted, endedAt });
      });
      this.child.send({ type: 'start', order } satisfies FloodRequest, (error) => {
        if (error) reject(error);
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }

  private kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
