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
