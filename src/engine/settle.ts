// One task (or handler) to the result the play goes on with: its lifecycle (task-step.ts), then what
// the play makes of the result. This is the seam for the per-task keywords of the plan language:
// `until`/`retries` repeat runTask here while their condition is false; `failed_when` decides the
// status here, before ignore_errors; `register` stores the result in the host's scope here. The
// play's structure (block/rescue/always, includes, handler flushes) is walked in blocks.ts, which
// calls this for every task.
import type { TaskResult } from './events.js';
import type { Lookahead, PlayContext } from './play-context.js';
import type { PreparedTask } from './prepare.js';
import { runTask } from './task-step.js';
import { ResultBuilder } from './task-result.js';

export async function settle(pc: PlayContext, p: PreparedTask, handler: boolean, ahead: Lookahead): Promise<TaskResult> {
  let r: TaskResult;
  try {
    r = await runTask(pc, p, handler, ahead);
  } catch (err) {
    r = new ResultBuilder(pc.ctx, pc.play, p.def, handler, p.displayName).untimed({ status: 'failed', error: (err as Error).message });
  }
  // A handler's failure is not marked ignored (it is counted failed), but with ignore_errors it does not stop the others.
  if (!handler && r.status === 'failed' && p.def.ignoreErrors) r.ignored = true;
  return r;
}
