import type { RunningApp } from '../../test/support/app-process.js';
import type { SystemUnderTest } from './system.js';

/**
 * Runs a benchmark that starts the whole system. The system's apps and Postgres are detached, so
 * they must not outlive an aborted run: a watchdog, SIGINT, SIGTERM or a failure each stop the
 * system it is told of (waiting 15 s at most, then killing what is left) and exit 1.
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
    // Whatever did not stop in time (an app draining a backlog) must not run on after the bench.
    running?.killNow();
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

/** For an aborted benchmark: the detached app's whole process group, at once. */
export function killNow(running: RunningApp | undefined): void {
  const pid = running?.app.child.pid;
  if (pid === undefined || running?.app.child.exitCode !== null) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Runs a benchmark's `main` and exits with its outcome (a pg or Nest timer left behind must not
 * keep a finished benchmark alive). A watchdog, SIGINT and SIGTERM abort it, after `cleanup` has
 * killed whatever it started: detached processes must not outlive the benchmark.
 */
export function runBenchmark(
  name: string,
  main: () => Promise<void>,
  watchdogMs: number,
  cleanup: () => void,
): void {
  const abort = (reason: string) => {
    console.error(`${name}: ${reason}`);
    cleanup();
    process.exit(1);
  };
  setTimeout(
    () => abort(`still running after ${watchdogMs / 60_000} minutes, giving up`),
    watchdogMs,
  ).unref();
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      cleanup();
      process.exit(1);
    },
  );
}
