// The import rules of src/, checked by dependency-cruiser (run through `npm run structure`,
// scripts/structure.mjs; docs/development.md).
//
// The layers, lowest first. A module may import its own layer and the layers below it; an import
// that points up a layer is reported. The order is the order in which a run uses things: the ground
// floor (core) knows nothing of fleetplan's parts; connectors carry bytes to a host; state and facts
// read a host through them; backends turn facts into per-OS commands; operations plan changes with
// backends and state; the vault and the loader turn files into a plan of operations; the engine runs
// it; reports show what it did; the command line and its tools (completion, scaffold, dns, schema
// and docs generators) sit on top.
const layers = [
  { name: 'core', dirs: ['core'] },
  { name: 'connectors', dirs: ['connectors'] },
  { name: 'state-facts', dirs: ['state', 'facts'] },
  { name: 'backends', dirs: ['backends'] },
  { name: 'ops', dirs: ['ops'] },
  { name: 'vault', dirs: ['vault'] },
  { name: 'load', dirs: ['load'] },
  { name: 'engine', dirs: ['engine'] },
  { name: 'report', dirs: ['report'] },
  { name: 'cli', dirs: ['cli', 'completion', 'scaffold', 'dns', 'schema', 'docs', 'verify', 'pull'] },
];

// Imports allowed to point up a layer, each with the reason it is the lesser evil (target: at most 2).
// `from` and `to` are file paths, as `src/x/a.ts`.
const justifiedUpward = [
  // { from: 'src/x/a.ts', to: 'src/y/b.ts', why: '...' },
];

const exact = (file) => `^${file.replace(/[.]/g, '[.]')}$`;
const pathsOf = (layer) => `^src/(${layer.dirs.map((d) => (d.endsWith('.ts') ? d.replace(/[.]/g, '[.]') + '$' : d + '/')).join('|')})`;

// One rule per layer for its modules without a justified upward import, and one per module with one
// (which leaves out its justified targets), so that every other upward import is still reported.
const upwardRules = layers.slice(0, -1).flatMap((layer, i) => {
  const higher = `(${layers.slice(i + 1).map(pathsOf).join('|')})`;
  const rule = (from, to) => ({
    name: `upward-from-${layer.name}`,
    comment: `${layer.name} imports a higher layer (${layers.slice(i + 1).map((l) => l.name).join(', ')})`,
    severity: 'warn',
    from,
    to,
  });
  const mine = justifiedUpward.filter((j) => new RegExp(pathsOf(layer)).test(j.from));
  const fromFiles = [...new Set(mine.map((j) => j.from))];
  return [
    rule({ path: pathsOf(layer), ...(fromFiles.length ? { pathNot: fromFiles.map(exact) } : {}) }, { path: higher }),
    ...fromFiles.map((file) =>
      rule({ path: exact(file) }, { path: higher, pathNot: mine.filter((j) => j.from === file).map((j) => exact(j.to)) })),
  ];
});

const justifiedRules = justifiedUpward.map((j, i) => ({
  name: `justified-upward-${i + 1}`,
  comment: j.why,
  severity: 'info',
  from: { path: exact(j.from) },
  to: { path: exact(j.to) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle: the modules cannot be understood (or loaded) one before the other',
      severity: 'warn',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upwardRules,
    ...justifiedRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    // Type-only imports count: a cycle through types is still a cycle in what a reader must know.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
