// The layering of src/, checked by dependency-cruiser: `npm run depcheck` (CI runs it after the type check).
// A request's path reads one way: entries (main.ts, start.ts, app.ts) → runtime/ → http/ (the edge) → proxy/ (the flow)
// → state/; cluster/ and status/ beside them; the lower layers below all of these. CONTRIBUTING.md#layering says it in words.
// Type-only imports count everywhere (tsPreCompilationDeps): a type is a dependency a reader follows too.

const lower = ['^src/(balancer|translation|apis|sse|routing|config|providers|upstream|observability|util)/', '^src/errors\\.ts$']
const entries = '^src/(app|start|main)\\.ts$' // the composition: nothing below it imports it
const layer = (...names) => `^src/(${names.join('|')})/`

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle, even of types, ties modules so that none can be read, tested or moved alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lower-layers-stay-below',
      comment: 'The lower layers are what the request path is built from: they know nothing of it.',
      severity: 'error',
      from: { path: lower },
      to: { path: [entries, layer('runtime', 'http', 'proxy', 'state', 'cluster', 'status')] },
    },
    {
      name: 'state-knows-no-request-path',
      comment: 'state/ is used by the edge, the flow, cluster/ and status/, never the other way round.',
      severity: 'error',
      from: { path: layer('state') },
      to: { path: [entries, layer('http', 'proxy', 'cluster', 'status', 'runtime')] },
    },
    {
      name: 'flow-not-back-into-edge',
      comment: "The flow must not reach back into the edge: a request's path reads one way.",
      severity: 'error',
      from: { path: layer('proxy') },
      to: { path: [entries, layer('http', 'cluster', 'status', 'runtime')] },
    },
    {
      name: 'edge-not-into-composition',
      comment: 'http/ is handed its runtime: it does not build it, talk to Redis or workers, or serve the status page.',
      severity: 'error',
      from: { path: layer('http') },
      to: { path: [entries, layer('cluster', 'status', 'runtime')] },
    },
    {
      name: 'cluster-implements-ports-only',
      comment: "cluster/ implements state's ports; it knows nothing of the request path or the status page.",
      severity: 'error',
      from: { path: layer('cluster') },
      to: { path: [entries, layer('http', 'proxy', 'status')] },
    },
    {
      name: 'status-reads-state-only',
      comment: 'status/ shapes /health, /stats and the status page from the state it is given, nothing more.',
      severity: 'error',
      from: { path: layer('status') },
      to: { path: [entries, layer('http', 'proxy', 'cluster', 'runtime')] },
    },
    {
      name: 'runtime-hands-things-in',
      comment: 'A runtime adapter hands its port, streams and workers in and installs nothing (deno.ts may import ../start).',
      severity: 'error',
      from: { path: layer('runtime') },
      to: { path: layer('http', 'proxy', 'state', 'status') },
    },
    {
      name: 'bun-apis-in-runtime-only',
      comment: "Bun's own modules stay behind the runtime adapter, so that lmlb runs on Deno too (the global Bun is not checked).",
      severity: 'error',
      from: { path: '^src/', pathNot: layer('runtime') },
      to: { dependencyTypes: ['core'], path: '^bun(:|$)' },
    },
    {
      name: 'src-not-from-tests-or-tools',
      comment: 'What ships is src/: it never imports test/, bench/ or scripts/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    // Two more, from the layers' description rather than the issue: cluster/ is wired in by start.ts alone.
    {
      name: 'cluster-wired-by-start-only',
      comment: 'Redis and the workers are wired in at start-up, by start.ts alone.',
      severity: 'error',
      from: { path: '^src/(app|main|cli)\\.ts$' },
      to: { path: layer('cluster') },
    },
    {
      name: 'runtime-takes-cluster-types-only',
      comment: "The adapters run the workers that cluster/workers.ts describes, by its types; cluster's code stays on start.ts's side.",
      severity: 'error',
      from: { path: layer('runtime') },
      to: { path: layer('cluster'), dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'imports-resolve',
      comment: 'The rules see only imports that resolve: one the check cannot follow fails it instead of slipping past.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // `from 'bun'` is Bun's own module, not the npm package of that name; node:sqlite is built in from Node 22 (Deno has it), after the checker's list.
    builtInModules: { add: ['bun', 'sqlite', 'node:sqlite'] },
    // Import specifiers as the code writes them: no .ts extension; package subpaths through "exports" (gpt-tokenizer/encoding/...).
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
}
