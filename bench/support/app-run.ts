import { freePort } from '@hub/persistence';
import { runProcess, waitForHealthy, type AppProcess } from '../../test/support/app-process.js';

const STOP_TIMEOUT_MS = 30_000;

export interface RunningApp {
  app: AppProcess;
  base: string;
}

/**
 * One app as a real process on a free port (`portSetting` names its port variable), ready once
 * `/health` answers; if it exits first, the error carries what it printed.
 */
export async function startApp(
  name: string,
  main: string,
  portSetting: string,
  env: Record<string, string>,
): Promise<RunningApp> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const app = runProcess(main, { ...env, [portSetting]: String(port) });
  try {
    await Promise.race([
      waitForHealthy(base, 60_000),
      app.exited.then((code) => {
        throw new Error(`the ${name} exited with ${code}:\n${app.output.join('\n')}`);
      }),
    ]);
  } catch (error) {
    await stopApp(app);
    throw error;
  }
  return { app, base };
}

/** SIGTERM, and SIGKILL if it has not exited within STOP_TIMEOUT_MS. Resolves to how it ended. */
export async function stopApp(app: AppProcess): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS)),
  );
  const ended = await Promise.race([app.stop('SIGTERM'), timeout]);
  clearTimeout(timer);
  if (ended !== 'timeout') return `exited with ${ended} after SIGTERM`;
  await app.stop('SIGKILL');
  return `no exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killed`;
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
