import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { freePort } from '@hub/persistence';
import { APP_NODE_FLAGS, withAppEnvironment } from '@hub/runtime';

export interface AppProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * With BENCH_CPU_PROFILE_DIR set, every process started here writes a V8 CPU profile there when it
 * exits (`--cpu-prof`, which Node refuses in NODE_OPTIONS): how a benchmark finds where the time goes.
 */
const PROFILE_DIR = process.env['BENCH_CPU_PROFILE_DIR'];
/**
 * BENCH_NODE_FLAGS: more V8 flags for every such process, after the apps' own (APP_NODE_FLAGS), so
 * one of them given again here wins (e.g. `--max-semi-space-size=16`, Node's default): to measure one.
 */
const EXTRA_FLAGS = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
const NODE_FLAGS = [
  ...APP_NODE_FLAGS,
  ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
  ...EXTRA_FLAGS,
];

/** An app gets the environment `npm start` gives it; the launcher and tools get only theirs. */
function appEnvironmentFor(script: string, env: Record<string, string>): Record<string, string> {
  return script.startsWith('dist/apps/') ? withAppEnvironment(env) : env;
}

/** Runs a compiled entry point (an app, the launcher) as a real process and records its output. */
export function runProcess(
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  cwd?: string,
): AppProcess {
  const child = spawn(process.execPath, [...NODE_FLAGS, script, ...args], {
    ...(cwd ? { cwd } : {}),
    env: appEnvironmentFor(script, { PATH: process.env['PATH'] ?? '', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      listeners.forEach((listener) => listener(line));
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output,
    exited,
    waitForLine(pattern, timeoutMs = 60_000) {
      const seen = output.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${pattern} in:\n${output.join('\n')}`)),
          timeoutMs,
        );
        listeners.add(function listener(line) {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        });
        void exited.then((code) =>
          reject(new Error(`exited with ${code} before ${pattern}:\n${output.join('\n')}`)),
        );
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
      return exited;
    },
  };
}

/**
 * Polls until the app answers 200 on `/health/ready` (its database, bus and every consumer lane
 * run), or on `/health/live` (it serves HTTP; its lanes may not consume yet) when `probe` says so.
 */
export async function waitForHealthy(
  url: string,
  timeoutMs = 60_000,
  probe: 'ready' | 'live' = 'ready',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/health/${probe}`).then(
      async (r) => {
        last = `${r.status} ${await r.text()}`;
        return r.ok;
      },
      (error: unknown) => ((last = String(error)), false),
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/health/${probe} was not 200 within ${timeoutMs} ms; last: ${last}`);
}

export type AppName = 'ingest' | 'projector' | 'dispatcher';

/** How long `stopApp` waits after SIGTERM before it kills. */
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

export interface RunningApps {
  urls: Record<AppName, string>;
  stop(): Promise<void>;
}

/**
 * The named apps as processes on free ports, sharing one secrets key, started together and each
 * ready (healthy) before this resolves; `env` is added to every app's (the transport's settings first).
 */
export async function startApps(names: AppName[], env: Record<string, string>): Promise<RunningApps> {
  const secretsKey = randomBytes(32).toString('base64');
  const settings = { SECRETS_KEY: secretsKey, LOG_LEVEL: 'warn', ...env };
  const started = await Promise.all(
    names.map((name) =>
      startApp(name, `dist/apps/${name}/src/main.js`, `${name.toUpperCase()}_PORT`, settings),
    ),
  );
  const urls = { ingest: '', projector: '', dispatcher: '' };
  names.forEach((name, i) => (urls[name] = started[i]!.base));
  return {
    urls,
    stop: async () => {
      for (const { app } of started) await app.stop('SIGTERM');
    },
  };
}
