import type { SystemUnderTest } from './system.js';

/**
 * Runs a benchmark that starts the whole system. The system's apps and Postgres are detached, so
 * they must not outlive an aborted run: a watchdog, SIGINT, SIGTERM or a failure each stop the
 * system it is told of (waiting 15 s at most) and exit 1.
 */
export function runSystemBenchmark(
  name: string,
  watchdogMs: number,
  main: (track: (system: SystemUnderTest | undefined) => void) => Promise<void>,
): void {
  let running: SystemUnderTest | undefined;
  const abort = async (reason: string): Promise<void> => {
    console.error(`${name}: ${reason}`);
    await Promise.race([running?.stop(), new Promise((resolve) => setTimeout(resolve, 15_000))]).catch(
      () => undefined,
    );
    process.exit(1);
  };
  setTimeout(
    () => void abort(`still running after ${watchdogMs / 60_000} minutes, giving up`),
    watchdogMs,
  ).unref();
  process.once('SIGINT', () => void abort('interrupted'));
  process.once('SIGTERM', () => void abort('terminated'));
  main((system) => (running = system)).catch((error: unknown) => {
    console.error(error);
    void abort('failed');
  });
}
