// Handlebars' compile, without its per-render set-up. Each render of a template compiled by
// `env.compile` merges the environment's helpers into a fresh object, wrapping every helper in a new
// closure (≈ 55 helpers here), before rendering a string of often a few characters: on a plan of 20
// hosts that is most of what rendering costs. Here the set-up is done on a template's first render and
// kept while the environment's helpers stay the same (registerHelper/unregisterHelper start a new
// generation). Compiling itself is Handlebars' own (the steps of its `compile`), lazily on first use
// as there, so a template only validated is never compiled to code.
import type Handlebars from 'handlebars';

type Env = typeof Handlebars;
type Template = ((context: unknown, options?: RenderOptions) => string) & { _setup(options: RenderOptions): unknown };
/** What fleetplan passes to a render: its data, nothing that changes the set-up. */
interface RenderOptions {
  data?: object;
  [k: string]: unknown;
}
interface CompilerEnv {
  parse(input: unknown, options: object): unknown;
  Compiler: new () => { compile(ast: unknown, options: object): unknown };
  JavaScriptCompiler: new () => { compile(environment: unknown, options: object, context: undefined, asObject: true): unknown };
  template(spec: unknown): Template;
}

const generations = new WeakMap<Env, { n: number }>();

/** The environment's helper generation, counting from when it was first asked for. */
function generationOf(env: Env): { n: number } {
  let g = generations.get(env);
  if (g) return g;
  generations.set(env, (g = { n: 0 }));
  const register = env.registerHelper.bind(env);
  const unregister = env.unregisterHelper.bind(env);
  env.registerHelper = ((...args: Parameters<Env['registerHelper']>) => {
    g!.n++;
    return register(...args);
  }) as Env['registerHelper'];
  env.unregisterHelper = ((name: string) => {
    g!.n++;
    return unregister(name);
  }) as Env['unregisterHelper'];
  return g;
}

/** `env.compile(ast, options)`, rendering as it does, with the set-up of each render kept (see above). */
export function compileTemplate(env: Env, ast: unknown, options: object): (context: unknown, runtime: { data: object }) => string {
  const generation = generationOf(env);
  let template: Template | undefined;
  return (context, runtime) => {
    template ??= withKeptSetup(compileNow(env as unknown as CompilerEnv, ast, options), generation);
    return template(context, runtime);
  };
}

/** Handlebars' compileInput (compiler.js), with the options as its `compile` prepares them. */
function compileNow(env: CompilerEnv, input: unknown, given: object): Template {
  const options: Record<string, unknown> = { ...given };
  if (!('data' in options)) options.data = true;
  if (options.compat) options.useDepths = true;
  const ast = env.parse(input, options);
  const environment = new env.Compiler().compile(ast, options);
  return env.template(new env.JavaScriptCompiler().compile(environment, options, undefined, true));
}

/**
 * The template's set-up (its merged helpers, hooks, prototype access rules) done again only when the
 * helpers changed, or when a render passes anything beyond `data` (partials, helpers, access options:
 * fleetplan passes none, but Handlebars' own way is kept for them).
 */
function withKeptSetup(template: Template, generation: { n: number }): Template {
  const setup = template._setup.bind(template);
  let done = -1;
  template._setup = (options: RenderOptions) => {
    const plain = Object.keys(options).every((k) => k === 'data');
    if (plain && done === generation.n) return undefined;
    done = plain ? generation.n : -1;
    return setup(options);
  };
  return template;
}
