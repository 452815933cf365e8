// Which tasks --tags and --skip-tags select, in one place: the engine asks it per task, and the
// command line asks it once for the whole plan before any host is contacted, so that a tag that is on
// no task (a typo in -t runs nothing; in --skip-tags, everything) or a pair that leaves no task to
// run is an input error instead of a run that silently does nothing — or too much.
import { InputError } from '../core/errors.js';
import { didYouMean } from '../load/issues.js';
import type { Plan, RoleRef, TaskDef } from '../load/model.js';
import { eachTask, type TreeVisit } from '../load/task-tree.js';

export interface TagOptions {
  tags: string[];
  skipTags: string[];
}

/** Why a task with these tags does not run, or undefined when it does. */
export function selectedByTags(tags: string[], opts: TagOptions): string | undefined {
  if (tags.includes('never') && !opts.tags.some((t) => tags.includes(t))) return 'tagged never';
  if (opts.skipTags.some((t) => tags.includes(t))) return `skipped by --skip-tags`;
  if (opts.tags.length && !tags.includes('always') && !opts.tags.some((t) => tags.includes(t))) return 'not selected by --tags';
  return undefined;
}

/** The tags of every task of the plan (a role's and the play's included), handlers aside: tags do not select them. */
function taskTags(plan: Plan): string[][] {
  const of = (def: TaskDef, ref?: RoleRef, play?: Plan['plays'][number]) => [...def.tags, ...(ref?.tags ?? []), ...(play?.tags ?? [])];
  return plan.plays.flatMap((play) => {
    const tags: string[][] = [];
    const visit = (ref?: RoleRef) => (def: TaskDef, at: TreeVisit) => {
      if (def.structure?.kind !== 'block' && def.structure?.kind !== 'meta') tags.push(of(def, at.ref ?? ref, play));
    };
    for (const ref of play.roles) eachTask(ref.role.tasks, visit(ref));
    for (const list of [play.preTasks ?? [], play.tasks, play.postTasks ?? []]) eachTask(list, visit());
    return tags;
  });
}

/** Input errors for --tags / --skip-tags that name a tag no task has, or that together select no task. */
export function tagSelectionErrors(plan: Plan, opts: TagOptions): InputError[] {
  if (!opts.tags.length && !opts.skipTags.length) return [];
  const tasks = taskTags(plan);
  const known = [...new Set(tasks.flat())].sort();
  const listed = known.length ? `tags in the plan: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}` : 'the plan has no tags';
  const errors: InputError[] = [];
  for (const [flag, list] of [['--tags', opts.tags], ['--skip-tags', opts.skipTags]] as const) {
    for (const t of list) {
      if (!known.includes(t)) errors.push(new InputError(`${flag} '${t}' is on no task of the plan${didYouMean(t, known)} (${listed})`));
    }
  }
  if (!errors.length && !tasks.some((tags) => selectedByTags(tags, opts) === undefined)) {
    const given = [opts.tags.length ? `--tags '${opts.tags.join(',')}'` : '', opts.skipTags.length ? `--skip-tags '${opts.skipTags.join(',')}'` : ''].filter(Boolean);
    errors.push(new InputError(`${given.join(' with ')} select${given.length > 1 ? '' : 's'} no task of the plan (${listed})`));
  }
  return errors;
}
