import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { freePort } from '@hub/persistence';

export interface AppProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a compiled entry point (an app, the launcher) as a real process and records its output. */
export function runProcess(
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  cwd?: string,
): AppProcess {
  const child = spawn(process.execPath, [script, ...args], {
    ...(cwd ? { cwd } : {}),
    env: { PATH: process.env['PATH'] ?? '', ...env },
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

export async function waitForHealthy(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/health was not ready within ${timeoutMs} ms`);
}

export type AppName = 'ingest' | 'projector' | 'dispatcher';

export interface RunningApps {
  urls: Record<AppName, string>;
  stop(): Promise<void>;
}

/**
 * The named apps as processes on free ports, sharing one secrets key, each ready (healthy) before
 * this resolves; `env` is added to every app's (the transport's settings first).
 */
export async function startApps(names: AppName[], env: Record<string, string>): Promise<RunningApps> {
  const secretsKey = randomBytes(32).toString('base64');
  const urls = { ingest: '', projector: '', dispatcher: '' };
  const apps: AppProcess[] = [];
  for (const name of names) {
    const port = await freePort();
    urls[name] = `http://127.0.0.1:${port}`;
    apps.push(
      runProcess(`dist/apps/${name}/src/main.js`, {
        SECRETS_KEY: secretsKey,
        LOG_LEVEL: 'warn',
        ...env,
        [`${name.toUpperCase()}_PORT`]: String(port),
      }),
    );
  }
  await Promise.all(names.map((name) => waitForHealthy(urls[name], 60_000)));
  return {
    urls,
    stop: async () => {
      for (const app of apps) await app.stop('SIGTERM');
    },
  };
}
