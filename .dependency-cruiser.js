/**
 * Import rules checked by `npm run check` (dependency-cruiser). Type-only imports count for the
 * layering rules (a library must not even name an app's types) but not for cycles, since they
 * vanish at compile time and cannot change the order modules load in.
 * @type {import('dependency-cruiser').IConfiguration}
 */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter: one side sees the other half-initialised.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'libs-not-to-apps',
      severity: 'error',
      comment: 'Libraries are shared by every app, so they cannot depend on any one of them.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-not-to-other-apps',
      severity: 'error',
      comment: 'Apps talk over the bus and HTTP only; what two apps share belongs in libs/.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'production-not-to-test-or-bench',
      severity: 'error',
      comment: 'Code that ships never loads test or benchmark helpers.',
      from: { path: '^(apps|libs)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'testing-helpers-only-from-specs',
      severity: 'error',
      comment:
        'A `*.testing.ts` helper sits beside the specs it serves (under src, where test/ is out of reach); only they load it.',
      from: { pathNot: '[.](spec|testing)[.]ts$' },
      to: { path: '[.]testing[.]ts$' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import the checker cannot resolve is one the rules above cannot see.',
      from: {},
      // Vite resolves under Node and enhanced-resolve alike, but not in the checker; it is only
      // ever a build tool here, so no rule above concerns it.
      to: { couldNotResolve: true, pathNot: '^vite$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    cache: false,
  },
};
