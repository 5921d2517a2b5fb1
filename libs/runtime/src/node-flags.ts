/**
 * The V8 flags every app process starts with: `npm start`'s launcher, the tests' and benchmarks'
 * processes, and the container image (its `NODE_OPTIONS`, which must say the same). V8 reads them
 * only at start, so they cannot be a setting the app applies to itself.
 *
 * `--max-semi-space-size=4`: a young generation of 2 × 4 MB instead of Node's 2 × 16 MB. Under
 * `npm run bench`'s sustained load it took 11 to 77 MiB off ingest's and the dispatcher's resident
 * memory, at the same CPU per request (docs/performance.md, Memory).
 */
export const APP_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/**
 * The environment every app process starts with unless its operator set these names: read by
 * glibc when the process starts, so, like the flags above, not a setting the app applies to itself.
 * `npm start`'s launcher and the tests' and benchmarks' processes add it; the image sets it too.
 *
 * `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates (the main thread, libuv's pool,
 * V8's collector threads) an arena of its own, up to eight per core, and each keeps its high-water
 * mark resident. Two arenas took 2 to 8 MiB off each app's resident memory under the bench's
 * sustained load, at the same CPU per request (docs/performance.md).
 */
export const APP_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** `env` over APP_ENVIRONMENT: what the operator set wins. */
export function withAppEnvironment<T extends Record<string, string | undefined>>(env: T): T {
  return { ...APP_ENVIRONMENT, ...env };
}
